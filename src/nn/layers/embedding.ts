import { randn } from '../../ops/creation';
import { checkInt } from '../../ops/util';
import type { Tensor } from '../../tensor';
import { embedding } from '../functional';
import { Module, Parameter } from '../module';

export interface EmbeddingOptions {
  /** Rows at this index get no gradient (and start at zero). */
  paddingIdx?: number;
}

/** A lookup table: integer indices [...] -> vectors [..., embeddingDim]; weight ~ N(0, 1) as PyTorch. */
export class Embedding extends Module {
  weight: Parameter;
  readonly paddingIdx: number | null;
  constructor(
    readonly numEmbeddings: number,
    readonly embeddingDim: number,
    opts: EmbeddingOptions = {},
  ) {
    super();
    checkInt('Embedding', 'numEmbeddings', numEmbeddings, 1);
    checkInt('Embedding', 'embeddingDim', embeddingDim, 1);
    this.weight = new Parameter(randn([numEmbeddings, embeddingDim]));
    this.paddingIdx = opts.paddingIdx ?? null;
    if (this.paddingIdx !== null) {
      const p = this.paddingIdx < 0 ? this.paddingIdx + numEmbeddings : this.paddingIdx;
      if (!Number.isInteger(p) || p < 0 || p >= numEmbeddings) throw new RangeError(`Embedding: paddingIdx ${this.paddingIdx} is out of range`);
      this.paddingIdx = p;
      this.weight.data.fill(0, p * embeddingDim, (p + 1) * embeddingDim);
    }
  }
  forward(indices: Tensor): Tensor {
    return embedding(indices, this.weight, this.paddingIdx);
  }
  override extraRepr(): string {
    return `${this.numEmbeddings}, ${this.embeddingDim}${this.paddingIdx !== null ? `, paddingIdx=${this.paddingIdx}` : ''}`;
  }
}
