/**
 * Adds initializers to a serialized ONNX ModelProto without a protobuf
 * library: the graph (ModelProto field 7) gets one TensorProto (GraphProto
 * field 5) per weight, and the graph inputs of those names are removed,
 * so the exported graphs take only their data input and onnxruntime can
 * constant-fold the weights.
 *
 * Wire format (protobuf): each field is a varint key (field << 3 | wire
 * type) followed by a varint (type 0), 8 bytes (1), a varint length and
 * bytes (2) or 4 bytes (5). TensorProto: dims = 1 (int64), data_type = 2
 * (FLOAT = 1, INT32 = 6), name = 8, raw_data = 9 (little-endian).
 */
import type { HostTensor } from '@zoo/core';

class Writer {
  private readonly parts: Uint8Array[] = [];
  private size = 0;
  bytes(b: Uint8Array): this {
    this.parts.push(b);
    this.size += b.length;
    return this;
  }
  varint(v: number | bigint): this {
    let x = BigInt.asUintN(64, BigInt(v));
    const out: number[] = [];
    do {
      let byte = Number(x & 0x7fn);
      x >>= 7n;
      if (x > 0n) byte |= 0x80;
      out.push(byte);
    } while (x > 0n);
    return this.bytes(Uint8Array.from(out));
  }
  field(num: number, wire: number): this {
    return this.varint((num << 3) | wire);
  }
  lengthDelimited(num: number, b: Uint8Array): this {
    return this.field(num, 2).varint(b.length).bytes(b);
  }
  finish(): Uint8Array {
    const out = new Uint8Array(this.size);
    let at = 0;
    for (const p of this.parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }
}

function readVarint(buf: Uint8Array, at: number): [bigint, number] {
  let result = 0n;
  let shift = 0n;
  for (;;) {
    const b = buf[at++];
    if (b === undefined) throw new RangeError('ONNX model: truncated varint');
    result |= BigInt(b & 0x7f) << shift;
    if (!(b & 0x80)) return [result, at];
    shift += 7n;
  }
}

export function encodeTensorProto(name: string, t: HostTensor): Uint8Array {
  const w = new Writer();
  for (const d of t.shape) w.field(1, 0).varint(d);
  w.field(2, 0).varint(t.dtype === 'int32' ? 6 : 1);
  w.lengthDelimited(8, new TextEncoder().encode(name));
  w.lengthDelimited(9, new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength).slice());
  return w.finish();
}

/** Length-delimited fields `num` of a message, as byte ranges. */
function fieldsOf(buf: Uint8Array, num: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  let at = 0;
  while (at < buf.length) {
    const [key, next] = readVarint(buf, at);
    at = next;
    const wire = Number(key & 7n);
    if (wire === 0) at = readVarint(buf, at)[1];
    else if (wire === 1) at += 8;
    else if (wire === 5) at += 4;
    else if (wire === 2) {
      const [len, body] = readVarint(buf, at);
      if (Number(key >> 3n) === num) out.push(buf.subarray(body, body + Number(len)));
      at = body + Number(len);
    } else throw new RangeError(`ONNX model: unsupported protobuf wire type ${wire}`);
  }
  return out;
}

/** The graph's bytes minus its inputs (field 11) named in `drop`: baked weights are constants, not inputs. */
function withoutInputs(graph: Uint8Array, drop: ReadonlyMap<string, unknown>): Uint8Array {
  const out = new Writer();
  let at = 0;
  while (at < graph.length) {
    const start = at;
    const [key, next] = readVarint(graph, at);
    at = next;
    const wire = Number(key & 7n);
    if (wire === 0) at = readVarint(graph, at)[1];
    else if (wire === 1) at += 8;
    else if (wire === 5) at += 4;
    else if (wire === 2) {
      const [len, body] = readVarint(graph, at);
      at = body + Number(len);
      if (Number(key >> 3n) === 11) {
        const name = new TextDecoder().decode(fieldsOf(graph.subarray(body, at), 1)[0] ?? new Uint8Array());
        if (drop.has(name)) continue;
      }
    } else throw new RangeError(`ONNX model: unsupported protobuf wire type ${wire}`);
    out.bytes(graph.subarray(start, at));
  }
  return out.finish();
}

/** Names of the graph inputs (ModelProto.graph = 7, GraphProto.input = 11, ValueInfoProto.name = 1). */
export function graphInputNames(model: Uint8Array): string[] {
  const graph = fieldsOf(model, 7)[0];
  if (!graph) throw new RangeError('ONNX model: no graph field found');
  return fieldsOf(graph, 11).map((vi) => new TextDecoder().decode(fieldsOf(vi, 1)[0] ?? new Uint8Array()));
}

/** Returns `model` with `weights` added to its graph as initializers. */
export function addInitializers(model: Uint8Array, weights: ReadonlyMap<string, HostTensor>): Uint8Array {
  const out = new Writer();
  let at = 0;
  let found = false;
  while (at < model.length) {
    const start = at;
    const [key, next] = readVarint(model, at);
    at = next;
    const field = Number(key >> 3n);
    const wire = Number(key & 7n);
    if (wire === 0) at = readVarint(model, at)[1];
    else if (wire === 1) at += 8;
    else if (wire === 5) at += 4;
    else if (wire === 2) {
      const [len, body] = readVarint(model, at);
      const end = body + Number(len);
      if (field === 7) {
        const graph = new Writer().bytes(withoutInputs(model.subarray(body, end), weights));
        for (const [name, t] of weights) graph.lengthDelimited(5, encodeTensorProto(name, t));
        out.lengthDelimited(7, graph.finish());
        found = true;
        at = end;
        continue;
      }
      at = end;
    } else throw new RangeError(`ONNX model: unsupported protobuf wire type ${wire}`);
    out.bytes(model.subarray(start, at));
  }
  if (!found) throw new RangeError('ONNX model: no graph field found');
  return out.finish();
}
