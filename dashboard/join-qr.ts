// The join link as a QR code, so a phone joins by pointing its camera at the dashboard. The link carries the
// join token, which /api/status never shows: the dashboard has it only when opened from the link the
// coordinator printed (`/dashboard?token=…`).
import QRCode from 'qrcode';

const LOOPBACK = /^(localhost|127(?:\.\d+){3}|\[::1\])$/;

export function joinLink(origin: string, token: string): string {
  return `${origin}/?token=${encodeURIComponent(token)}`;
}

/** Draws the QR code of the join link into `canvas` and says in `note` what a person should know about it. */
export async function showJoinQr(canvas: HTMLCanvasElement, note: HTMLElement, link: HTMLAnchorElement, token: string): Promise<void> {
  if (!token) {
    canvas.hidden = true;
    note.textContent = 'Open the dashboard from the link the coordinator printed (it ends in ?token=…) to see the join QR code.';
    return;
  }
  const url = joinLink(location.origin, token);
  link.href = url;
  link.textContent = url;
  // Error correction M and a quiet zone of 4 modules: phone cameras read it from a screen at arm's length.
  await QRCode.toCanvas(canvas, url, { errorCorrectionLevel: 'M', margin: 4, scale: 5 });
  canvas.dataset.link = url;
  note.textContent = LOOPBACK.test(location.hostname)
    ? 'This page was opened at a loopback address, which a phone cannot reach: open the dashboard at the address the coordinator printed under "on this network".'
    : location.protocol === 'https:'
      ? 'Scan to join from a phone. It will warn about the self-signed certificate once: accept it to train.'
      : 'Scan to join from a phone. Over plain http a phone trains single-threaded on wasm and without its GPU: start the coordinator with --https for that.';
}
