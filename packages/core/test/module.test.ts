import { HostTensor, Module, Variable } from '../src/index.js';

class Leaf extends Module {
  readonly weight: Variable;
  readonly stat: Variable;
  constructor() {
    super();
    this.weight = this.param('weight', HostTensor.from([1, 2], [2]));
    this.stat = this.buffer('stat', HostTensor.zeros([1]));
  }
}
class Tree extends Module {
  readonly a = this.child('a', new Leaf());
  readonly bs = this.children('b', [new Leaf(), new Leaf()]);
}

describe('Module', () => {
  it('keys variables by their full path from the root, whichever subtree is asked', () => {
    const t = new Tree();
    expect(t.namedVariables().map(([k]) => k)).toEqual([
      'a.weight',
      'a.stat',
      'b.0.weight',
      'b.0.stat',
      'b.1.weight',
      'b.1.stat',
    ]);
    // Asking a child for its variables gives relative names but keeps the full keys unique.
    expect(t.bs[1]!.namedVariables().map(([k]) => k)).toEqual(['weight', 'stat']);
    expect(t.bs[1]!.weight.key).toBe('b.1.weight');
    const keys = t.namedVariables().map(([, v]) => v.key);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('separates parameters from buffers and counts parameters', () => {
    const t = new Tree();
    expect(t.parameters().map((v) => v.key)).toEqual(['a.weight', 'b.0.weight', 'b.1.weight']);
    expect(t.buffers().length).toBe(3);
    expect(t.parameterCount()).toBe(6);
    // A constant subtree (pretrained, fixed) leaves parameters() and is marked for baking.
    t.bs[0]!.markConstant();
    expect(t.parameters().map((v) => v.key)).toEqual(['a.weight', 'b.1.weight']);
    expect(t.bs[0]!.namedVariables().every(([, v]) => v.constant)).toBe(true);
    expect(t.a.weight.constant).toBe(false);
  });

  it("prefixes a root module's keys when asked", () => {
    const l = new Leaf();
    l.namedVariables('decoder.');
    expect(l.weight.key).toBe('decoder.weight');
  });

  it('round-trips a state dict and rejects mismatches with the key named', () => {
    const t = new Tree();
    const sd = t.stateDict();
    sd['a.weight'] = HostTensor.from([5, 6], [2]);
    const u = new Tree();
    u.loadStateDict(sd);
    expect(Array.from(u.a.weight.value.data)).toEqual([5, 6]);
    expect(() => u.loadStateDict({ ...sd, extra: HostTensor.zeros([1]) })).toThrow(/unexpected keys \[extra\]/);
    expect(() => u.loadStateDict({ ...sd, 'a.weight': HostTensor.zeros([3]) })).toThrow(/wrong shapes \[a.weight expects \[2\], got \[3\]\]/);
  });

  it('propagates train/eval to children', () => {
    const t = new Tree().eval();
    expect(t.bs[0]!.training).toBe(false);
    t.train();
    expect(t.a.training).toBe(true);
  });
});
