// AdamW over flat Float32Arrays (decoupled weight decay, global-norm gradient clipping). Plain TypeScript:
// the same code runs on the coordinator, in Node peers and in browsers, and the update is bit-identical
// everywhere (float64 arithmetic per element, stored back to float32).

export interface AdamWOptions {
  beta1: number;
  beta2: number;
  eps: number;
  /** Decoupled weight decay, multiplied by the learning rate. */
  weightDecay: number;
  /** Clip the gradient to this global L2 norm; 0 or Infinity turns clipping off. */
  clipNorm: number;
  /** 1 where weight decay applies (see decayMaskFromManifest); no mask: decay everywhere. */
  decayMask?: Uint8Array;
}

/** The STLM paper's settings: betas (0.9, 0.95), weight decay 0.1, clip 1.0. */
export const DEFAULT_ADAMW: AdamWOptions = { beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1, clipNorm: 1 };

export interface AdamWState {
  m: Float32Array;
  v: Float32Array;
  /** Steps taken so far. */
  t: number;
}

export class AdamW {
  readonly size: number;
  readonly opts: AdamWOptions;
  private m: Float32Array;
  private v: Float32Array;
  private t = 0;

  constructor(size: number, opts: Partial<AdamWOptions> = {}) {
    if (!Number.isInteger(size) || size < 0) throw new Error(`AdamW: size must be a non-negative integer, got ${size}`);
    this.opts = { ...DEFAULT_ADAMW, ...opts };
    const { beta1, beta2, eps, weightDecay, clipNorm, decayMask } = this.opts;
    if (!(beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1)) throw new Error('AdamW: betas must be in [0, 1)');
    if (!(eps > 0) || !(weightDecay >= 0) || !(clipNorm >= 0)) throw new Error('AdamW: eps > 0, weightDecay >= 0, clipNorm >= 0');
    if (decayMask && decayMask.length !== size) {
      throw new Error(`AdamW: decayMask has ${decayMask.length} entries, expected ${size}`);
    }
    this.size = size;
    this.m = new Float32Array(size);
    this.v = new Float32Array(size);
  }

  /** One update of `weights` in place. `grads` is not modified. Returns the gradient norm before clipping. */
  step(weights: Float32Array, grads: Float32Array, lr: number): { gradNorm: number } {
    if (weights.length !== this.size || grads.length !== this.size) {
      throw new Error(`AdamW.step: expected ${this.size} weights and grads, got ${weights.length} and ${grads.length}`);
    }
    if (!(lr >= 0) || !Number.isFinite(lr)) throw new Error(`AdamW.step: bad learning rate ${lr}`);
    let sq = 0;
    for (let i = 0; i < grads.length; i++) sq += grads[i] * grads[i];
    const gradNorm = Math.sqrt(sq);
    if (!Number.isFinite(gradNorm)) throw new Error('AdamW.step: gradient has NaN or Infinity; update refused');
    const { beta1, beta2, eps, weightDecay, clipNorm, decayMask } = this.opts;
    const scale = clipNorm > 0 && gradNorm > clipNorm ? clipNorm / gradNorm : 1;
    this.t++;
    const bc1 = 1 - Math.pow(beta1, this.t);
    const bc2 = 1 - Math.pow(beta2, this.t);
    const m = this.m;
    const v = this.v;
    for (let i = 0; i < weights.length; i++) {
      const g = grads[i] * scale;
      const mi = (m[i] = beta1 * m[i] + (1 - beta1) * g);
      const vi = (v[i] = beta2 * v[i] + (1 - beta2) * g * g);
      const decay = decayMask === undefined || decayMask[i] === 1 ? weightDecay * weights[i] : 0;
      weights[i] -= lr * ((mi / bc1) / (Math.sqrt(vi / bc2) + eps) + decay);
    }
    return { gradNorm };
  }

  /** Copies of the moments and the step count (for checkpoints). */
  exportState(): AdamWState {
    return { m: this.m.slice(), v: this.v.slice(), t: this.t };
  }

  importState(s: AdamWState): void {
    if (s.m.length !== this.size || s.v.length !== this.size) {
      throw new Error(`AdamW.importState: expected moments of ${this.size}, got ${s.m.length} and ${s.v.length}`);
    }
    if (!Number.isInteger(s.t) || s.t < 0) throw new Error(`AdamW.importState: bad step count ${s.t}`);
    this.m = s.m.slice();
    this.v = s.v.slice();
    this.t = s.t;
  }
}
