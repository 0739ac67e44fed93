# Reference forward pass of an STLM exported by `stlm export --format safetensors`.
import json, math
import torch
import torch.nn.functional as F
from safetensors import safe_open

PAD, EOD = 256, 257
DELIMITERS = set(b" \n\t\r\f\v!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")


def load(path):
    """Config and fp32 weights by name; int8 tensors (consolidated models) dequantized as q * scale."""
    with safe_open(path, framework="pt") as f:
        meta = f.metadata()
        W = {name: f.get_tensor(name) for name in f.keys()}
    cfg = json.loads(meta["stlm_config"])
    for name, axis in json.loads(meta.get("stlm_int8_channel_axis", "{}")).items():
        scale = W.pop(name + ".scale")
        W[name] = W[name].float() * (scale[:, None] if axis == 0 else scale[None, :])
    return cfg, W


def chunk_ends(data, P):
    """A chunk ends after a delimiter byte or at P bytes (model/bytes.ts)."""
    ends, n = [], 0
    for i, b in enumerate(data):
        n += 1
        if n == P or b in DELIMITERS:
            ends.append(i + 1)
            n = 0
    if n:
        ends.append(len(data))
    return ends


def encode(data, P):
    """Encoder input (the previous chunk), decoder input (this chunk shifted right) and targets, each [T, P]."""
    ends = chunk_ends(data, P)
    T = len(ends)
    enc = torch.full((T, P), PAD, dtype=torch.long)
    dec = torch.full((T, P), PAD, dtype=torch.long)
    tgt = torch.full((T, P), -1, dtype=torch.long)
    for t in range(T):
        start = 0 if t == 0 else ends[t - 1]
        for j, b in enumerate(data[start:ends[t]]):
            tgt[t, j] = b
            if j + 1 < P:
                dec[t, j + 1] = b
        if t == 0:
            enc[0, 0] = EOD  # the "beginning" chunk
        else:
            prev = 0 if t == 1 else ends[t - 2]
            for j, b in enumerate(data[prev:start]):
                enc[t, j] = b
    return enc, dec, tgt


def rms_norm(x, gain, eps):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * gain


def mix_slots(a, w, causal, cfg):
    """Mixes the P slots of each chunk, a [N, P, dB]; causal: slot j reads slots <= j only."""
    N, P, dB = a.shape
    if cfg["byteMix"] == "dense":
        if causal:
            r = torch.arange(P * dB)
            w = w * ((r[:, None] // dB) <= (r[None, :] // dB)).float()
        return (a.reshape(N, P * dB) @ w).reshape(N, P, dB)
    if causal:
        w = w * torch.triu(torch.ones(P, P))
    return (a.transpose(1, 2) @ w).transpose(1, 2)


def byte_blocks(x, prefix, causal, W, cfg):
    eps = cfg["normEps"]
    for i in range(cfg["byteLayers"]):
        p = f"{prefix}.{i}"
        x = x + mix_slots(rms_norm(x, W[p + ".mixNorm.gain"], eps), W[p + ".mix"], causal, cfg)
        h = rms_norm(x, W[p + ".mlpNorm.gain"], eps)
        x = x + F.silu(h @ W[p + ".mlp.w1"]) @ W[p + ".mlp.w2"]
    return x


def forward(W, cfg, enc, dec):
    """Byte log-probabilities [T, P, 258] of one example (enc, dec from encode)."""
    T, P = enc.shape
    dB, D, H, eps = cfg["byteDim"], cfg["dModel"], cfg["heads"], cfg["normEps"]
    E = W["byteEmbedding"]  # [258, dB]: byte embedding and (tied) output head
    x = byte_blocks(E[enc] + W["enc.pos"], "enc", False, W, cfg)  # [T, P, dB]
    h = x.reshape(T, P * dB) @ W["pool.w"] + W["core.pos"][:T]  # [T, D]
    mask = torch.triu(torch.full((T, T), -1e9), 1)
    heads = lambda z: z.reshape(T, H, D // H).transpose(0, 1)  # [H, T, D/H]
    for l in range(cfg["coreLayers"]):
        a = rms_norm(h, W[f"core.{l}.attnNorm.gain"], eps)
        q = heads(a @ W[f"core.{l}.attn.wq"] / math.sqrt(D / H))
        k = heads(a @ W[f"core.{l}.attn.wk"])
        v = heads(a @ W[f"core.{l}.attn.wv"])
        o = torch.softmax(q @ k.transpose(1, 2) + mask, -1) @ v  # [H, T, D/H]
        h = h + o.transpose(0, 1).reshape(T, D) @ W[f"core.{l}.attn.wo"]
        f = rms_norm(h, W[f"core.{l}.ffnNorm.gain"], eps)
        p = "ffn.shared" if cfg["shareFfn"] else f"core.{l}.ffn"
        h = h + (F.silu(f @ W[p + ".w1"]) * (f @ W[p + ".w3"])) @ W[p + ".w2"]
    h = rms_norm(h, W["core.finalNorm.gain"], eps)
    y = (h @ W["dec.proj"]).reshape(T, P, dB) + E[dec] + W["dec.pos"]
    y = rms_norm(byte_blocks(y, "dec", True, W, cfg), W["dec.finalNorm.gain"], eps)
    return torch.log_softmax(y @ E.T, -1)


if __name__ == "__main__":
    import sys
    cfg, W = load(sys.argv[1])
    # The text `stlm export` printed ("text"): a model with a short context is checked on the part that fits.
    text = sys.argv[2] if len(sys.argv) > 2 else "The quick brown fox jumps over the lazy dog."
    data = list(text.encode())
    enc, dec, tgt = encode(data, cfg["chunkBytes"])
    with torch.no_grad():
        lp = forward(W, cfg, enc, dec)
    scored = tgt >= 0
    picked = lp[scored].gather(-1, tgt[scored][:, None]).squeeze(-1)  # byte order
    print("firstByteLogProbs", [round(v, 5) for v in picked[:8].tolist()])
    print("logProbSum", round(picked.sum().item(), 4))
    print("bitsPerByte", round(-picked.sum().item() / len(data) / math.log(2), 5))
