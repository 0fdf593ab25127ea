"""PyTorch CPU peer for bench/train-throughput.ts: the same student and TinTeM losses, timed step by step.

The architecture mirrors src/students/cnn.ts (default spec): a 3x3 stem conv (no bias) + BN + ReLU, one basic
block per stage (two 3x3 convs with BN, 1x1 conv + BN projection shortcut where the shape changes, stride 2 at
the start of every stage after the first), a 1x1 conv (with bias) to the embedding width; tokens = that map
(average-pooled to the teacher's token grid when that is coarser) as N x g*g x d, pooled = its spatial mean. The TinTeM head is LayerNorm + Linear (teacher dim -> d); the losses are
src/methods/tintem.ts's (loss version 2, the authors' formulas): multi-temperature KL between t-SNE-symmetrised
log affinities with a masked diagonal (global over the batch's pooled vectors, local over each image's
[pooled; tokens]) for the head, 1 - cosine for the student on pooled and on the flattened [pooled; tokens]
against the stop-gradient head output. AdamW with decoupled weight decay, none on biases and norm parameters.

The ViT student mirrors src/students/vit.ts (patch conv, class token + position embeddings, pre-LN blocks with
fused-qkv multi-head attention and a GELU MLP, final LayerNorm, eps 1e-6; pooled = class token, tokens = patch
tokens, one shared Linear to d when width != d).

`mode` picks how PyTorch runs the step: "fp32" (the default eager step), "fp32-cl" (fp32 with the model and
input in channels_last memory format, the switch a PyTorch user turns on for oneDNN convolutions) or
"bf16-cl" (channels_last plus torch.autocast("cpu", dtype=torch.bfloat16): convolutions and matmuls in
bfloat16 on AMX / AVX512-BF16 where the CPU has them, reductions and the optimiser in float32).
The ready line also carries "stepFlops": the step's convolution + matmul FLOPs (forward + backward, 2 per
multiply-add) as torch.utils.flop_counter counts them, for the benchmark's achieved GFLOP/s.

Protocol (driven by the TypeScript benchmark): reads one JSON config line on stdin, prints {"ready": true};
then for each line "run <k>" does k timed steps and prints {"times": [...seconds]}; "quit" exits.
"""
import json
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout, momentum=0.1, eps=1e-5)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout, momentum=0.1, eps=1e-5)
        self.proj = None
        if stride != 1 or cin != cout:
            self.proj = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, 0, bias=False), nn.BatchNorm2d(cout, momentum=0.1, eps=1e-5))

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return F.relu(y + (self.proj(x) if self.proj is not None else x))


class CnnStudent(nn.Module):
    def __init__(self, spec):
        super().__init__()
        w = spec["stemWidth"]
        self.stem = nn.Sequential(nn.Conv2d(spec["channels"], w, 3, spec["stemStride"], 1, bias=False),
                                  nn.BatchNorm2d(w, momentum=0.1, eps=1e-5), nn.ReLU())
        blocks = []
        width = w
        for s, (mult, count) in enumerate(zip(spec["widthMultipliers"], spec["blocksPerStage"])):
            out = max(1, round(w * mult))
            for b in range(count):
                blocks.append(BasicBlock(width, out, 2 if s > 0 and b == 0 else 1))
                width = out
        self.blocks = nn.Sequential(*blocks)
        self.embed = nn.Conv2d(width, spec["embedDim"], 1, 1, 0, bias=True)
        self.token_grid = None

    def forward(self, x):
        m = self.embed(self.blocks(self.stem(x)))  # N x d x g x g
        if self.token_grid is not None and m.shape[-1] != self.token_grid:
            # src/methods/tokenGrid.ts: the finer map is average-pooled to the teacher's coarser grid
            pooled_map = F.adaptive_avg_pool2d(m, self.token_grid)
        else:
            pooled_map = m
        tokens = pooled_map.flatten(2).transpose(1, 2)  # N x g*g x d
        return m.mean(dim=(2, 3)), tokens


class Attention(nn.Module):
    def __init__(self, width, heads):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(width, 3 * width)
        self.proj = nn.Linear(width, width)

    def forward(self, x):
        n, length, w = x.shape
        q, k, v = self.qkv(x).reshape(n, length, 3, self.heads, w // self.heads).permute(2, 0, 3, 1, 4)
        a = torch.softmax((q @ k.transpose(-1, -2)) / (w // self.heads) ** 0.5, dim=-1)
        return self.proj((a @ v).transpose(1, 2).reshape(n, length, w))


class VitBlock(nn.Module):
    def __init__(self, width, heads, mlp_ratio):
        super().__init__()
        self.ln1 = nn.LayerNorm(width, eps=1e-6)
        self.attn = Attention(width, heads)
        self.ln2 = nn.LayerNorm(width, eps=1e-6)
        hidden = round(mlp_ratio * width)
        self.mlp = nn.Sequential(nn.Linear(width, hidden), nn.GELU(), nn.Linear(hidden, width))

    def forward(self, x):
        x = x + self.attn(self.ln1(x))
        return x + self.mlp(self.ln2(x))


class VitStudent(nn.Module):
    def __init__(self, spec):
        super().__init__()
        w, p = spec["width"], spec["patchSize"]
        grid = spec["inputSize"] // p
        self.patch = nn.Conv2d(spec["channels"], w, p, p)
        self.cls = nn.Parameter(torch.randn(1, 1, w) * 0.02)
        self.pos = nn.Parameter(torch.randn(1, grid * grid + 1, w) * 0.02)
        self.blocks = nn.Sequential(*[VitBlock(w, spec["numHeads"], spec["mlpRatio"]) for _ in range(spec["depth"])])
        self.ln = nn.LayerNorm(w, eps=1e-6)
        self.proj = nn.Linear(w, spec["embedDim"]) if w != spec["embedDim"] else nn.Identity()
        self.token_grid = None

    def forward(self, x):
        t = self.patch(x).flatten(2).transpose(1, 2)
        x = torch.cat([self.cls.expand(t.shape[0], -1, -1), t], dim=1) + self.pos
        x = self.proj(self.ln(self.blocks(x)))
        tokens = x[:, 1:]
        g = int(round(tokens.shape[1] ** 0.5))
        if self.token_grid is not None and g != self.token_grid:
            m = tokens.transpose(1, 2).reshape(tokens.shape[0], -1, g, g)
            tokens = F.adaptive_avg_pool2d(m, self.token_grid).flatten(2).transpose(1, 2)
        return x[:, 0], tokens


def cosine_matrix(x):
    x = x / x.norm(dim=-1, keepdim=True).clamp_min(1e-8)
    return x @ x.transpose(-1, -2)


def log_affinity(sims, taus):
    # all temperatures at once: K x ... x n x n; the diagonal is masked (-1e8 as in the reference, float32-safe here)
    n = sims.shape[-1]
    eye = torch.eye(n, dtype=torch.bool)
    t = torch.tensor(taus).reshape(-1, *([1] * sims.dim()))
    lp = torch.log_softmax(sims.masked_fill(eye, -1e8)[None] / t, dim=-1)
    sym = torch.logsumexp(torch.stack([lp, lp.transpose(-1, -2)]), dim=0)
    return sym - torch.logsumexp(sym, dim=(-2, -1), keepdim=True)


def multi_tau_kl(target, pred, taus):
    lp, lq = log_affinity(cosine_matrix(target), taus), log_affinity(cosine_matrix(pred), taus)
    terms = torch.exp(lp) * (lp - lq)
    return torch.where(torch.isfinite(terms), terms, torch.zeros_like(terms)).sum(dim=(-2, -1)).mean()


def one_minus_cos(a, b):
    return (1 - F.cosine_similarity(a, b, dim=-1, eps=1e-8)).mean()


def main():
    cfg = json.loads(sys.stdin.readline())
    torch.set_num_threads(cfg["threads"])
    torch.manual_seed(0)
    spec, b, D, T = cfg["spec"], cfg["batchSize"], cfg["teacherDim"], cfg["tokenCount"]
    d = spec["embedDim"]
    mode = cfg.get("mode", "fp32")
    student = VitStudent(spec) if spec.get("kind") == "vit" else CnnStudent(spec)
    if T > 0:
        student.token_grid = round(T ** 0.5)
    head = nn.Sequential(nn.LayerNorm(D, eps=1e-5), nn.Linear(D, d))
    taus = cfg["taus"]
    decay, no_decay = [], []
    for name, p in list(student.named_parameters()) + list(head.named_parameters()):
        (no_decay if p.ndim <= 1 else decay).append(p)  # biases, BN and LN parameters are the 1-D ones
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.05}, {"params": no_decay, "weight_decay": 0.0}], lr=1e-4)
    x = torch.rand(b, spec["channels"], spec["inputSize"], spec["inputSize"])
    if mode in ("fp32-cl", "bf16-cl"):
        student = student.to(memory_format=torch.channels_last)
        x = x.contiguous(memory_format=torch.channels_last)
    t_pooled = torch.randn(b, D)
    t_tokens = torch.randn(b, T, D) if T > 0 else None
    student.train()

    def forward():
        if mode == "bf16-cl":
            with torch.autocast("cpu", dtype=torch.bfloat16):
                pooled, tokens = student(x)
            return pooled.float(), tokens.float()
        return student(x)

    def step():
        pooled, tokens = forward()
        h_pooled = head(t_pooled)
        loss = multi_tau_kl(t_pooled, h_pooled, taus) + one_minus_cos(pooled, h_pooled.detach())
        if t_tokens is not None:
            t_all = torch.cat([t_pooled[:, None], t_tokens], dim=1)
            h_all = head(t_all)
            s_all = torch.cat([pooled[:, None], tokens], dim=1)
            loss = loss + multi_tau_kl(t_all, h_all, taus)
            loss = loss + one_minus_cos(s_all.reshape(b, -1), h_all.detach().reshape(b, -1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return float(loss.detach())  # forces the step to finish, like the TS side reading the loss

    from torch.utils.flop_counter import FlopCounterMode
    counter = FlopCounterMode(display=False)
    with counter:
        step()  # also the first (warm-up) step
    print(json.dumps({"ready": True, "threads": torch.get_num_threads(), "torch": torch.__version__, "mode": mode,
                      "stepFlops": counter.get_total_flops(), "bf16Cpu": torch.backends.mkldnn.is_available()
                      and torch.ops.mkldnn._is_mkldnn_bf16_supported()}), flush=True)

    for line in sys.stdin:
        cmd = line.split()
        if not cmd or cmd[0] == "quit":
            break
        times = []
        for _ in range(int(cmd[1])):
            t0 = time.perf_counter()
            step()
            times.append(time.perf_counter() - t0)
        print(json.dumps({"times": times}), flush=True)


if __name__ == "__main__":
    main()
