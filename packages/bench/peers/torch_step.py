"""PyTorch peer of `pnpm bench step`: the same tokenizer train step, in idiomatic PyTorch.

The bench's own worker writes the model's initial state dict (our PyTorch-style keys) and the input
batch as safetensors; this script builds the same architecture as plain torch modules, loads that
state dict strictly (every key and shape must match, so it cannot silently time another model), and
then answers JSON-line commands on stdin:
  {"cmd": "run", "steps": k}  -> {"ms": [...], "loss": first loss of the k steps}
  {"cmd": "exit"}             -> {"peakRssMiB": ..., "baseRssMiB": ...}
The first reply is {"ready": true, "params": n, "threads": t}.

Covered: encoder families conv2d (taming VQGAN), inflated3d (MAGVIT) and causal3d (MAGVIT-v2)
without attention; quantizers vq (EMA codebook, rotation trick or straight-through, commitment)
and lfq (no projection, one codebook, all tokens in the entropy); l1/l2 reconstruction; Adam
(taming's beta 0.5/0.9, gradient-norm clipping). Anything else is refused with a message, so the
bench reports "PyTorch: unavailable (...)" instead of timing a different model.
Needs only torch (Debian's python3-torch 1.13 works).
"""
import json
import os
import resource
import struct
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Unsupported(Exception):
    pass


def read_safetensors(path):
    with open(path, 'rb') as f:
        data = f.read()
    (n,) = struct.unpack('<Q', data[:8])
    header = json.loads(data[8:8 + n])
    out = {}
    for key, info in header.items():
        if key == '__metadata__':
            continue
        if info['dtype'] != 'F32':
            raise Unsupported(f'{key}: dtype {info["dtype"]} (only F32 is read)')
        a, b = info['data_offsets']
        t = torch.frombuffer(bytearray(data[8 + n + a:8 + n + b]), dtype=torch.float32)
        out[key] = t.reshape(info['shape']) if info['shape'] else t.reshape(())
    return out


def fit_groups(channels, wanted):
    for g in range(min(wanted, channels), 1, -1):
        if channels % g == 0:
            return g
    return 1


# --- the three kits (what differs between families; cf. encoders-3d/src/kits.ts) ---------------

class Conv(nn.Module):
    """Same-size conv; key `weight`/`bias` directly (ConvNd)."""

    def __init__(self, dims, cin, cout, k):
        super().__init__()
        self.dims = dims
        self.weight = nn.Parameter(torch.empty((cout, cin) + (k,) * dims))
        self.bias = nn.Parameter(torch.empty(cout))
        self.pad = (k - 1) // 2

    def forward(self, x):
        f = F.conv2d if self.dims == 2 else F.conv3d
        return f(x, self.weight, self.bias, padding=self.pad)


class CausalConv(nn.Module):
    """CausalConv3d: time padded on the left only; key `conv.weight`."""

    def __init__(self, cin, cout, k, mode, spatial_mode, stride_t=1):
        super().__init__()
        self.conv = nn.Conv3d(cin, cout, k, stride=(stride_t, 1, 1))
        self.time_pad = (k - 1) + (1 - stride_t)
        self.mode, self.spatial_mode = mode, spatial_mode
        self.sp = k // 2

    def forward(self, x):
        return self.conv(causal_pad(x, self.time_pad, self.sp, self.mode, self.spatial_mode))


def causal_pad(x, tpad, sp, mode, spatial_mode):
    if mode == spatial_mode:
        return F.pad(x, (sp, sp, sp, sp, tpad, 0), mode=mode)
    if tpad:
        x = F.pad(x, (0, 0, 0, 0, tpad, 0), mode=mode)
    if sp:
        x = F.pad(x, (sp, sp, sp, sp, 0, 0), mode=spatial_mode)
    return x


class Downsample(nn.Module):
    """taming Downsample: pad (0, 1) on halved dims, 3x3 conv with stride 2; key `conv`."""

    def __init__(self, dims, ch, factors):
        super().__init__()
        self.factors = factors
        self.conv = (nn.Conv2d if dims == 2 else nn.Conv3d)(ch, ch, 3, stride=tuple(factors))

    def forward(self, x):
        pads = []
        for f in reversed(self.factors):
            pads += [0, 1] if f == 2 else [1, 1]
        return self.conv(F.pad(x, pads))


class Upsample(nn.Module):
    """Nearest upsampling, then a same-size 3x3 conv; key `conv`."""

    def __init__(self, dims, ch, factors):
        super().__init__()
        self.factors = factors
        self.conv = (nn.Conv2d if dims == 2 else nn.Conv3d)(ch, ch, 3, padding=1)

    def forward(self, x):
        return self.conv(F.interpolate(x, scale_factor=tuple(float(f) for f in self.factors), mode='nearest'))


class CausalDownsample(nn.Module):
    def __init__(self, ch, ft, fs, mode, spatial_mode):
        super().__init__()
        self.conv = nn.Conv3d(ch, ch, 3, stride=(ft, fs, fs))
        self.mode, self.spatial_mode = mode, spatial_mode

    def forward(self, x):
        return self.conv(causal_pad(x, 2, 1, self.mode, self.spatial_mode))


class DepthToSpaceUpsample(nn.Module):
    def __init__(self, ch, ft, fs, mode, spatial_mode):
        super().__init__()
        self.ft, self.fs = ft, fs
        self.conv = CausalConv(ch, ch * ft * fs * fs, 3, mode, spatial_mode)

    def forward(self, x):
        y = self.conv(x)
        n, _, t, h, w = y.shape
        ft, fs = self.ft, self.fs
        c = y.shape[1] // (ft * fs * fs)
        y = y.view(n, c, ft, fs, fs, t, h, w).permute(0, 1, 5, 2, 6, 3, 7, 4).reshape(n, c, t * ft, h * fs, w * fs)
        return y[:, :, ft - 1:] if ft > 1 else y


class FrameGroupNorm(nn.GroupNorm):
    """GroupNorm over (C/G, H, W) of each frame separately (MAGVIT-v2)."""

    def forward(self, x):
        n, c, t, h, w = x.shape
        y = super().forward(x.transpose(1, 2).reshape(n * t, c, h, w))
        return y.view(n, t, c, h, w).transpose(1, 2)


class Kit:
    def __init__(self, family, cfg):
        self.family = family
        self.dims = 2 if family == 'conv2d' else 3
        self.groups, self.eps = cfg['normGroups'], cfg['normEps']
        self.mode = cfg.get('padMode', 'constant')
        self.spatial_mode = cfg.get('spatialPadMode') or self.mode
        if family == 'inflated3d' and cfg.get('spatialPadding', 'zeros') != 'zeros':
            raise Unsupported('inflated3d with reflect spatial padding')

    def conv(self, cin, cout, k):
        if self.family == 'causal3d':
            return CausalConv(cin, cout, k, self.mode, self.spatial_mode)
        return Conv(self.dims, cin, cout, k)

    def norm(self, ch):
        cls = FrameGroupNorm if self.family == 'causal3d' else nn.GroupNorm
        return cls(fit_groups(ch, self.groups), ch, eps=self.eps)

    def factors(self, f):
        return [f['space']] * 2 if self.dims == 2 else [f['time'], f['space'], f['space']]

    def down(self, ch, f):
        if self.family == 'causal3d':
            return CausalDownsample(ch, f['time'], f['space'], self.mode, self.spatial_mode)
        return Downsample(self.dims, ch, self.factors(f))

    def up(self, ch, f):
        if self.family == 'causal3d':
            return DepthToSpaceUpsample(ch, f['time'], f['space'], self.mode, self.spatial_mode)
        return Upsample(self.dims, ch, self.factors(f))


# --- the shared ResNet bodies (encoders-3d/src/backbone.ts; taming's module names) -------------

class ResnetBlock(nn.Module):
    def __init__(self, kit, cin, cout):
        super().__init__()
        self.norm1, self.conv1 = kit.norm(cin), kit.conv(cin, cout, 3)
        self.norm2, self.conv2 = kit.norm(cout), kit.conv(cout, cout, 3)
        self.nin_shortcut = kit.conv(cin, cout, 1) if cin != cout else None

    def forward(self, x):
        h = self.conv1(F.silu(self.norm1(x)))
        h = self.conv2(F.silu(self.norm2(h)))
        return (self.nin_shortcut(x) if self.nin_shortcut is not None else x) + h


class Mid(nn.Module):
    def __init__(self, kit, ch):
        super().__init__()
        self.block_1, self.block_2 = ResnetBlock(kit, ch, ch), ResnetBlock(kit, ch, ch)

    def forward(self, x):
        return self.block_2(self.block_1(x))


class Level(nn.Module):
    def __init__(self, blocks, name=None, resample=None):
        super().__init__()
        self.block = nn.ModuleList(blocks)
        self.resample_name = name if resample is not None else None
        if resample is not None:
            setattr(self, name, resample)

    def forward(self, x):
        for b in self.block:
            x = b(x)
        return getattr(self, self.resample_name)(x) if self.resample_name else x


def resamples(f):
    return f is not None and (f['time'] == 2 or f['space'] == 2)


class Encoder(nn.Module):
    def __init__(self, kit, cfg, levels):
        super().__init__()
        ch, mult, nres = cfg['ch'], cfg['chMult'], cfg['numResBlocks']
        self.conv_in = kit.conv(cfg['channels'], ch, 3)
        down, cin = [], ch
        for i, m in enumerate(mult):
            blocks = []
            for _ in range(nres):
                blocks.append(ResnetBlock(kit, cin, ch * m))
                cin = ch * m
            ds = kit.down(cin, levels[i]) if i < len(mult) - 1 and resamples(levels[i]) else None
            down.append(Level(blocks, 'downsample', ds))
        self.down = nn.ModuleList(down)
        self.mid = Mid(kit, cin)
        self.norm_out, self.conv_out = kit.norm(cin), kit.conv(cin, cfg['zChannels'], 3)

    def forward(self, x):
        h = self.conv_in(x)
        for level in self.down:
            h = level(h)
        return self.conv_out(F.silu(self.norm_out(self.mid(h))))


class Decoder(nn.Module):
    def __init__(self, kit, cfg, levels):
        super().__init__()
        ch, mult, nres = cfg['ch'], cfg['chMult'], cfg['numResBlocks']
        cin = ch * mult[-1]
        self.conv_in = kit.conv(cfg['zChannels'], cin, 3)
        self.mid = Mid(kit, cin)
        up = [None] * len(mult)
        for i in reversed(range(len(mult))):
            blocks = []
            for _ in range(nres + 1):
                blocks.append(ResnetBlock(kit, cin, ch * mult[i]))
                cin = ch * mult[i]
            us = kit.up(cin, levels[i - 1]) if i > 0 and resamples(levels[i - 1]) else None
            up[i] = Level(blocks, 'upsample', us)
        self.up = nn.ModuleList(up)
        self.norm_out, self.conv_out = kit.norm(cin), kit.conv(cin, cfg['channels'], 3)

    def forward(self, z):
        h = self.mid(self.conv_in(z))
        for level in reversed(self.up):
            h = level(h)
        return self.conv_out(F.silu(self.norm_out(h)))


# --- quantizers (quantizers/src/vq.ts, ema.ts, rotation-trick.ts, lfq.ts, lfq-entropy.ts) -----

class Codebook(nn.Module):
    def __init__(self, k, d):
        super().__init__()
        self.register_buffer('embed', torch.zeros(1, k, d))
        self.register_buffer('cluster_size', torch.zeros(1, k))
        self.register_buffer('embed_avg', torch.zeros(1, k, d))
        self.register_buffer('initted', torch.zeros(1))


def rotation_trick(z, q):
    zs, qs = z.detach(), q.detach()
    nz, nq = zs.norm(dim=-1, keepdim=True), qs.norm(dim=-1, keepdim=True)
    u, qh = zs / nz.clamp(min=1e-6), qs / nq.clamp(min=1e-6)
    w = F.normalize(u + qh, dim=-1, eps=1e-12)
    rotated = z - 2 * (z * w).sum(-1, keepdim=True) * w + 2 * (z * u).sum(-1, keepdim=True) * qh
    return rotated * (nq / nz.clamp(min=1e-6))


class VQ(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        if cfg.get('learnableCodebook') or cfg.get('emaUpdate') is False:
            raise Unsupported('vq with a learnable codebook')
        self.k, self.d = cfg['codebookSize'], cfg['dim']
        self.decay, self.eps = cfg.get('decay', 0.8), cfg.get('eps', 1e-5)
        self.beta = cfg.get('commitmentWeight', 0.25)
        self.rotate = cfg.get('rotationTrick', True) and self.d > 1
        self._codebook = Codebook(self.k, self.d)

    def forward(self, x):  # x: [M, D]
        embed = self._codebook.embed[0]
        xs = x.detach()
        dist = (xs * xs).sum(1, keepdim=True) + (embed * embed).sum(1) - 2 * xs @ embed.t()
        idx = dist.argmin(1)
        q = embed[idx]
        loss = F.mse_loss(q, x) * self.beta
        out = rotation_trick(x, q) if self.rotate else x + (q - x).detach()
        with torch.no_grad():
            onehot = F.one_hot(idx, self.k).type(x.dtype)
            w = 1 - self.decay
            cs = self._codebook.cluster_size[0].lerp_(onehot.sum(0), w)
            ea = self._codebook.embed_avg[0].lerp_(onehot.t() @ xs, w)
            total = cs.sum()
            smoothed = (cs + self.eps) / (total + self.k * self.eps) * total
            self._codebook.embed[0].copy_(ea / smoothed[:, None])
        return out, loss


class LFQ(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        bits = (cfg['codebookSize'] - 1).bit_length()
        if cfg.get('dim', bits) != bits or cfg.get('numCodebooks', 1) != 1 or cfg.get('hasProjections') \
                or cfg.get('factorizedBits') or cfg.get('fracPerSampleEntropy', 1) < 1:
            raise Unsupported('lfq with projections, several codebooks, factorized bits or token sampling')
        self.bits = bits
        self.w_ent = cfg.get('entropyLossWeight', 0.1)
        self.w_commit = cfg.get('commitmentLossWeight', 0.25)
        self.gamma = cfg.get('diversityGamma', 1.0)
        self.inv_t = cfg.get('invTemperature', 100.0)
        self.scale = float(cfg.get('codebookScale', 1.0))
        msb = cfg.get('bitOrder', 'msb-first') == 'msb-first'
        shifts = torch.arange(bits - 1, -1, -1) if msb else torch.arange(bits)
        k = torch.arange(2 ** bits)[:, None]
        self.register_buffer('codes', ((k >> shifts) & 1).float() * 2 * self.scale - self.scale, persistent=False)

    def forward(self, x):
        q = torch.where(x > 0, torch.ones_like(x), -torch.ones_like(x)) * self.scale
        prob = (2 * x @ self.codes.t() * self.inv_t).softmax(-1)
        ent = lambda p: -(p * p.clamp(min=1e-5).log()).sum(-1)
        aux = ent(prob).mean() - self.gamma * ent(prob.mean(0))
        loss = aux * self.w_ent + F.mse_loss(x, q) * self.w_commit
        return x + (q - x).detach(), loss


# --- the tokenizer and its step ------------------------------------------------------------------

class Tokenizer(nn.Module):
    def __init__(self, spec):
        super().__init__()
        fam = spec['family']
        if spec['encoder'] != spec['decoder']:
            raise Unsupported('a decoder config different from the encoder config')
        cfg = spec['encoder']
        if cfg.get('attention'):
            raise Unsupported('attention blocks')
        self.family = fam
        kit = Kit(fam, cfg)
        self.encoder = Encoder(kit, cfg, spec['levels'])
        self.decoder = Decoder(kit, cfg, spec['levels'])
        qname = spec['quantizer']['name']
        if qname not in ('vq', 'lfq'):
            raise Unsupported(f"quantizer '{qname}'")
        self.quantizer = VQ(spec['quantizer']['config']) if qname == 'vq' else LFQ(spec['quantizer']['config'])
        self.rec = spec['reconstruction']
        self.rec_weight = spec['reconstructionWeight']

    def run_body(self, body, x):
        if self.family != 'conv2d':
            return body(x)
        n, c, t, h, w = x.shape
        y = body(x.transpose(1, 2).reshape(n * t, c, h, w))
        return y.view(n, t, *y.shape[1:]).transpose(1, 2)

    def forward(self, batch):  # [B, T, H, W, 3] in [0, 1]
        x = batch.permute(0, 4, 1, 2, 3) * 2 - 1
        z = self.run_body(self.encoder, x)
        zc = z.movedim(1, -1)
        q, qloss = self.quantizer(zc.reshape(-1, zc.shape[-1]))
        recon = self.run_body(self.decoder, q.view(zc.shape).movedim(-1, 1))
        pix = (recon - x).abs().mean() if self.rec == 'l1' else ((recon - x) ** 2).mean()
        return pix * self.rec_weight + qloss


def main():
    args = json.loads(sys.argv[1])
    torch.set_num_threads(args.get('threads') or torch.get_num_threads())
    base_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    try:
        model = Tokenizer(args['spec'])
        state = read_safetensors(args['weights'])
        model.load_state_dict(state, strict=True)
    except (Unsupported, RuntimeError, KeyError) as e:
        print(json.dumps({'ready': False, 'reason': ' '.join(str(e).split())[:600]}), flush=True)
        return
    batch = read_safetensors(args['batch'])['x']
    opt = args['optimizer']
    params = [p for p in model.parameters()]
    adam = torch.optim.Adam(params, lr=opt['lr'], betas=(opt['beta1'], opt['beta2']), eps=opt.get('eps', 1e-8))
    clip = opt.get('clipGradNorm')
    n_params = sum(p.numel() for p in params)
    print(json.dumps({'ready': True, 'params': n_params, 'threads': torch.get_num_threads()}), flush=True)
    for line in sys.stdin:
        cmd = json.loads(line)
        if cmd['cmd'] == 'exit':
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(json.dumps({'peakRssMiB': peak, 'baseRssMiB': base_rss}), flush=True)
            return
        times, first = [], None
        # A developer switch: ZOO_TORCH_PROFILE=FILE appends torch.profiler's op table of each round to FILE.
        prof = torch.profiler.profile() if os.environ.get('ZOO_TORCH_PROFILE') else None
        if prof:
            prof.__enter__()
        for _ in range(cmd['steps']):
            t0 = time.perf_counter()
            adam.zero_grad(set_to_none=True)
            loss = model(batch)
            loss.backward()
            if clip:
                torch.nn.utils.clip_grad_norm_(params, clip)
            adam.step()
            value = loss.item()
            times.append((time.perf_counter() - t0) * 1000)
            first = value if first is None else first
        if prof:
            prof.__exit__(None, None, None)
            with open(os.environ['ZOO_TORCH_PROFILE'], 'a') as f:
                f.write(prof.key_averages().table(sort_by='self_cpu_time_total', row_limit=40) + '\n')
        print(json.dumps({'ms': times, 'loss': first}), flush=True)


if __name__ == '__main__':
    main()
