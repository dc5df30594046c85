import { ShapeError, type Tensor } from '@zoo/core';

/** Throws a ShapeError naming `where` unless `a` and `b` have identical shapes. */
export function assertSameShape(where: string, a: Tensor, b: Tensor): void {
  const same = a.shape.length === b.shape.length && a.shape.every((d, i) => d === b.shape[i]);
  if (!same) throw new ShapeError(where, `[${a.shape.join(', ')}] (the shape of the first argument)`, b.shape);
}
