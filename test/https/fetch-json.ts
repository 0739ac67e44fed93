// GET a JSON document from an https coordinator, trusting its certificate (PEM) as a CA: what a script does
// with `curl --cacert`. Node's global fetch takes no CA option.
import https from 'node:https';

export function getJsonTrusting<T>(url: string, certPem: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const req = https.get(url, { ca: certPem }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => {
        try {
          resolve(JSON.parse(body) as T);
        } catch (e) {
          reject(e);
        }
      });
    });
    req.on('error', reject);
  });
}
