/**
 * Developer A/B of two onnx engine settings on one preset's train step, in
 * ONE process, alternating single steps (so machine load hits both sides
 * alike). A setting is a list of env vars read when a session is created
 * (e.g. ZOO_ORT_MEMPATTERN=0); each side's session is created under its env.
 * Reports wall and process-CPU medians per side and their ratio B/A.
 *
 *   pnpm exec tsx scripts/dev/step-ab.ts vqgan '' 'ZOO_ORT_SESSION={"enableMemPattern":true}' 10
 */
import '../../packages/bench/src/components.js';
import { buildOurStep } from '../../packages/bench/src/perf/step-model.js';

const [model = 'vqgan', envA = '', envB = '', n = '8'] = process.argv.slice(2);
// NAME=value pairs separated by ';' (values may hold spaces and '=')
const parse = (s: string): Record<string, string> =>
  Object.fromEntries(s.split(';').filter((kv) => kv.trim()).map((kv) => [kv.slice(0, kv.indexOf('=')).trim(), kv.slice(kv.indexOf('=') + 1)]));
const opts = { model, frames: 17, resolution: 64, batch: 2, codebookSize: 256, seed: 0 };

async function side(env: Record<string, string>) {
  const saved = { ...process.env };
  Object.assign(process.env, env);
  const s = await buildOurStep(opts, 'onnx-cpu');
  await s.step.run({ x: s.batch }); // creates the session under `env`
  for (const k of Object.keys(env)) if (saved[k] === undefined) delete process.env[k]; else process.env[k] = saved[k];
  return s;
}
const a = await side(parse(envA));
const b = await side(parse(envB));
const med = (v: number[]): number => [...v].sort((x, y) => x - y)[v.length >> 1]!;
const t = { a: { wall: [] as number[], cpu: [] as number[] }, b: { wall: [] as number[], cpu: [] as number[] } };
for (let i = 0; i < Number(n); i++) {
  for (const [k, s] of [['a', a], ['b', b]] as const) {
    const c0 = process.cpuUsage();
    const w0 = performance.now();
    await s.step.run({ x: s.batch });
    t[k].wall.push(performance.now() - w0);
    const c = process.cpuUsage(c0);
    t[k].cpu.push((c.user + c.system) / 1000);
  }
}
const r = (k: 'wall' | 'cpu') => `${k}: A ${med(t.a[k]).toFixed(0)} ms, B ${med(t.b[k]).toFixed(0)} ms, B/A ${(med(t.b[k]) / med(t.a[k])).toFixed(3)} (min ${Math.min(...t.a[k]).toFixed(0)} / ${Math.min(...t.b[k]).toFixed(0)})`;
console.log(`${model} A='${envA}' B='${envB}' n=${n}\n${r('wall')}\n${r('cpu')}`);
await a.engine.dispose();
await b.engine.dispose();
