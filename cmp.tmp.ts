import { readFileSync } from 'node:fs';
import { readOnnxModel, inlineExternalData, quantizeDynamicInt8, serializeModel, createSession, runFloat } from './src/onnx/index.ts';
const g = JSON.parse(readFileSync('test/fixtures/tiny-vit/golden.json','utf8')); const q = JSON.parse(readFileSync('test/fixtures/tiny-vit/int8-golden.json','utf8'));
const S=g.size; const n=g.images.length; const x=new Float32Array(n*3*S*S);
for (let i=0;i<n;i++) for (let c=0;c<3;c++) for (let p=0;p<S*S;p++) x[((i*3+c)*S*S)+p]=(g.images[i][p*3+c]/255-g.mean[c])/g.std[c];
const cos=(u:ArrayLike<number>,v:ArrayLike<number>)=>{let d=0,a=0,b=0;for(let i=0;i<u.length;i++){d+=u[i]*v[i];a+=u[i]*u[i];b+=v[i]*v[i];}return d/Math.sqrt(a*b);};
const maxd=(u:ArrayLike<number>,v:ArrayLike<number>)=>{let m=0;for(let i=0;i<u.length;i++)m=Math.max(m,Math.abs(u[i]-v[i]));return m;};
for (const [mode, pc] of [['per_tensor', false], ['per_channel', true]] as const) for (const ops of [undefined]) {
  const r = quantizeDynamicInt8(readOnnxModel('test/fixtures/tiny-vit/tiny_vit.onnx'), { perChannel: pc });
  const s = await createSession(serializeModel(r.model), 'x'); const o = await runFloat(s, 'pixel_values', x, [n,3,S,S], Object.keys(g.outputs));
  for (const k of Object.keys(g.outputs)) console.log(mode, k, 'vsPy', cos(o[k].data, q.modes[mode][k].values).toFixed(6), maxd(o[k].data, q.modes[mode][k].values).toFixed(4), 'vsFp32', cos(o[k].data, g.outputs[k].values).toFixed(6), 'py-vs-fp32', cos(q.modes[mode][k].values, g.outputs[k].values).toFixed(6));
}
