#!/usr/bin/env python3
"""
Independent goldens for tintem's distillation losses (dev tool; `npm test` never runs it).

Transcribes, in PyTorch float64, the formulas of
  * TinTeM / CosPress: emannix/cospress-cosine-similarity-preserving-compression,
    goo/methods/self_supervised/proteus_vmfsne7_reversed.py with run/CosPress_imagenet_dinov2_vits.yaml
    (sne_style 'full', target_mask True, architecture 'identity', conjoin_heads True, metric 'Cosine',
    lambda_local = lambda_global = lambda_fea = lambda_token = 1, freeze_heads_backwards True,
    target_temperature_list 0.01..0.10);
  * Proteus: goo/methods/self_supervised/proteus.py with run/proteus_imagenet_dinov2_vits.yaml
    (metric 'MSE', lambda_token = lambda_fea = 1, lambda_patch = 0);
  * PKT: passalis/probabilistic_kt nn/pkt.py cosine_similarity_loss (eps 1e-7).
It does NOT read or port tintem's TypeScript. Inputs are rounded to float32 first so the float32 code under test
sees exactly the same numbers.

Token layout: token 0 is the CLS / pooled vector, then the patch tokens; the fixture stores them apart
(`*_pooled` N x D, `*_tokens` N x T x D patches), as the project keeps them. Linear kernels are stored
in x out (y = x @ kernel + bias), i.e. the transpose of torch's nn.Linear.weight.

Usage: python3 scripts/goldens/method_goldens.py  (writes test/methods/fixtures/method-goldens.json)
"""
import json
import os

import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)
DEFAULT_TAUS = [0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.07, 0.08, 0.09, 0.10]
LARGE_NUM = 1e8  # the reference's diagonal mask; exact and harmless in float64
LN_EPS = 1e-5     # nn.LayerNorm default


def f32(x):
    return x.float().double()


def ln_linear(x, gamma, beta, kernel, bias):
    """nn.Sequential(nn.LayerNorm(in), nn.Linear(in, out)) with kernel = Linear.weight.T"""
    return F.layer_norm(x, (x.shape[-1],), gamma, beta, LN_EPS) @ kernel + bias


# ---- reference TinTeM (proteus_vmfsne7_reversed.py) ----
def calc_d(query, per_image):
    """x2p_torch_parrallel_Q_patches_calcD(query, query, 'vmf', per_image, mask=True)"""
    q = F.normalize(query, dim=-1)
    if per_image:
        d = torch.bmm(q, q.permute(0, 2, 1))
        eye = F.one_hot(torch.arange(query.shape[1]), query.shape[1]).to(query)
        return d - eye[None, :, :] * LARGE_NUM
    d = q @ q.T
    eye = F.one_hot(torch.arange(query.shape[0]), query.shape[0]).to(query)
    return d - eye * LARGE_NUM


def kl_full(log_P, log_Q, dims):
    terms = torch.exp(log_P) * (log_P - log_Q)
    terms = torch.where(torch.isfinite(terms), terms, torch.zeros_like(terms))
    return torch.sum(terms, dim=dims)


def sne_local(backbone_view, distilled_view, taus):
    distilled_D = calc_d(distilled_view, True)
    backbone_D = calc_d(backbone_view, True)
    total = torch.tensor(0.0)
    for temp in taus:
        log_p12 = torch.log_softmax(distilled_D / temp, dim=-1)
        log_pbb12 = torch.log_softmax(backbone_D / temp, dim=-1)
        log_P = torch.logsumexp(torch.stack([log_pbb12, log_pbb12.permute(0, 2, 1)]), dim=0)
        log_P = log_P - torch.logsumexp(log_P, dim=(1, 2), keepdim=True)
        log_Q = torch.logsumexp(torch.stack([log_p12, log_p12.permute(0, 2, 1)]), dim=0)
        log_Q = log_Q - torch.logsumexp(log_Q, dim=(1, 2), keepdim=True)
        total = total + torch.mean(kl_full(log_P, log_Q, (1, 2)))
    return total / len(taus)


def sne_global(backbone_global, distilled_global, taus):
    distilled_D = calc_d(distilled_global, False)
    backbone_D = calc_d(backbone_global, False)
    total = torch.tensor(0.0)
    for temp in taus:
        log_p12 = torch.log_softmax(distilled_D / temp, dim=-1)
        log_pbb12 = torch.log_softmax(backbone_D / temp, dim=-1)
        log_P = torch.logsumexp(torch.stack([log_pbb12, log_pbb12.T]), dim=0)
        log_P = log_P - torch.logsumexp(log_P, dim=(0, 1), keepdim=True)
        log_Q = torch.logsumexp(torch.stack([log_p12, log_p12.T]), dim=0)
        log_Q = log_Q - torch.logsumexp(log_Q, dim=(0, 1), keepdim=True)
        total = total + kl_full(log_P, log_Q, (0, 1))
    return total / len(taus)


def cosine_loss(predictions, targets):
    """CosineLoss: flatten each sample, mean of 1 - cos"""
    p = F.normalize(predictions.reshape(predictions.shape[0], -1), dim=-1)
    t = F.normalize(targets.reshape(targets.shape[0], -1), dim=-1)
    return torch.mean(1 - torch.sum(p * t, dim=-1))


def tintem_terms(t_pooled, t_tokens, s_pooled, s_tokens, head, taus):
    backbone_view = torch.cat([t_pooled[:, None, :], t_tokens], dim=1)  # CLS + patches
    distilled_view = ln_linear(backbone_view, *head)
    student_view = torch.cat([s_pooled[:, None, :], s_tokens], dim=1)
    distilled_global = ln_linear(backbone_view[:, 0].contiguous(), *head)  # conjoin_heads: the same head
    return {
        'headLocal': sne_local(backbone_view, distilled_view, taus),
        'headGlobal': sne_global(backbone_view[:, 0].contiguous(), distilled_global, taus),
        'studentTokens': cosine_loss(student_view, distilled_view.detach()),
        'studentPooled': cosine_loss(student_view[:, 0, :], distilled_global.detach()),
    }


# ---- reference Proteus (proteus.py, lambda_patch 0, MSE) ----
def proteus_terms(t_pooled, t_tokens, s_pooled, s_tokens, token_head, fea_head):
    s_cls = ln_linear(s_pooled, *token_head)
    s_patches = ln_linear(s_tokens, *fea_head)
    token_loss = F.mse_loss(s_cls, t_pooled)
    fea_loss = F.mse_loss(torch.cat([s_cls[:, None, :], s_patches], dim=1), torch.cat([t_pooled[:, None, :], t_tokens], dim=1))
    return {'pooled': token_loss, 'tokens': fea_loss}


# ---- reference PKT (passalis/probabilistic_kt) ----
def pkt_loss(output_net, target_net, eps=1e-7):
    output_net = output_net / (torch.sqrt(torch.sum(output_net ** 2, dim=1, keepdim=True)) + eps)
    target_net = target_net / (torch.sqrt(torch.sum(target_net ** 2, dim=1, keepdim=True)) + eps)
    model_similarity = (output_net @ output_net.T + 1.0) / 2.0
    target_similarity = (target_net @ target_net.T + 1.0) / 2.0
    model_similarity = model_similarity / torch.sum(model_similarity, dim=1, keepdim=True)
    target_similarity = target_similarity / torch.sum(target_similarity, dim=1, keepdim=True)
    return torch.mean(target_similarity * torch.log((target_similarity + eps) / (model_similarity + eps)))


# ---- the probability-space variant tintem used before (NOT the reference; kept only so the fixture can show
# that the tests tell it apart: softmax probabilities, (P + P^T) / 2n, sum p * (log(p + 1e-10) - log(q + 1e-10))) ----
def eps_clamped_kl(target, pred, taus, per_image):
    def cm(x):
        x = F.normalize(x, dim=-1)
        return x @ x.transpose(-1, -2)

    def aff(sims, tau):
        n = sims.shape[-1]
        p = torch.softmax((sims / tau).masked_fill(torch.eye(n, dtype=torch.bool), -1e9), -1)
        return (p + p.transpose(-1, -2)) / (2 * n)

    total = 0.0
    for tau in taus:
        p, q = aff(cm(target), tau), aff(cm(pred), tau)
        kl = (p * (torch.log(p + 1e-10) - torch.log(q + 1e-10))).sum((-1, -2))
        total += float(kl.mean() if per_image else kl)
    return total / len(taus)


# ---- inputs ----
def clustered(gen, n, t, dim, spread):
    """n images of 1 + t vectors: images drawn around a few directions, tokens around their image."""
    centres = torch.randn(3, dim, generator=gen)
    img = centres[torch.arange(n) % 3] + spread * torch.randn(n, dim, generator=gen)
    tokens = img[:, None, :] + spread * torch.randn(n, t, dim, generator=gen)
    return f32(img), f32(tokens)


def head_params(gen, din, dout):
    return [f32(1 + 0.2 * torch.randn(din, generator=gen)), f32(0.1 * torch.randn(din, generator=gen)),
            f32(torch.randn(din, dout, generator=gen) / din ** 0.5), f32(0.1 * torch.randn(dout, generator=gen))]


def values(t):
    return [float('%.9g' % float(v)) for v in t.detach().reshape(-1)]


def with_grads(inputs, terms):
    total = sum(terms.values())
    grads = torch.autograd.grad(total, inputs)
    return {k: float(v.detach()) for k, v in terms.items()}, float(total.detach()), grads


def tintem_case(name, seed, n, t, D, d, taus, spread=0.7):
    gen = torch.Generator().manual_seed(seed)
    t_pooled, t_tokens = clustered(gen, n, t, D, spread)
    s_pooled, s_tokens = f32(torch.randn(n, d, generator=gen)), f32(torch.randn(n, t, d, generator=gen))
    head = [p.clone().requires_grad_(True) for p in head_params(gen, D, d)]
    s_pooled.requires_grad_(True)
    s_tokens.requires_grad_(True)
    terms, total, g = with_grads(head + [s_pooled, s_tokens], tintem_terms(t_pooled, t_tokens, s_pooled, s_tokens, head, taus))
    with torch.no_grad():
        all_t = torch.cat([t_pooled[:, None, :], t_tokens], dim=1)
        eps_clamped = {'headGlobal': eps_clamped_kl(t_pooled, ln_linear(t_pooled, *head), taus, False),
                       'headLocal': eps_clamped_kl(all_t, ln_linear(all_t, *head), taus, True)}
    return {
        'name': name, 'batch': n, 'patches': t, 'teacherDim': D, 'studentDim': d, 'taus': taus,
        'epsClampedVariant': eps_clamped,
        'teacherPooled': values(t_pooled), 'teacherTokens': values(t_tokens),
        'studentPooled': values(s_pooled), 'studentTokens': values(s_tokens),
        'head': {'gamma': values(head[0]), 'beta': values(head[1]), 'kernel': values(head[2]), 'bias': values(head[3])},
        'terms': terms, 'total': total,
        'grads': {'gamma': values(g[0]), 'beta': values(g[1]), 'kernel': values(g[2]), 'bias': values(g[3]),
                  'studentPooled': values(g[4]), 'studentTokens': values(g[5])},
    }


def proteus_case(name, seed, n, t, D, d):
    gen = torch.Generator().manual_seed(seed)
    t_pooled, t_tokens = clustered(gen, n, t, D, 0.7)
    s_pooled, s_tokens = f32(torch.randn(n, d, generator=gen)), f32(torch.randn(n, t, d, generator=gen))
    token_head = [p.clone().requires_grad_(True) for p in head_params(gen, d, D)]
    fea_head = [p.clone().requires_grad_(True) for p in head_params(gen, d, D)]
    s_pooled.requires_grad_(True)
    s_tokens.requires_grad_(True)
    terms, total, g = with_grads(token_head + fea_head + [s_pooled, s_tokens], proteus_terms(t_pooled, t_tokens, s_pooled, s_tokens, token_head, fea_head))
    names = ['gamma', 'beta', 'kernel', 'bias']
    return {
        'name': name, 'batch': n, 'patches': t, 'teacherDim': D, 'studentDim': d,
        'teacherPooled': values(t_pooled), 'teacherTokens': values(t_tokens),
        'studentPooled': values(s_pooled), 'studentTokens': values(s_tokens),
        'tokenHead': {k: values(v) for k, v in zip(names, token_head)},
        'feaHead': {k: values(v) for k, v in zip(names, fea_head)},
        'terms': terms, 'total': total,
        'grads': {'tokenHead': {k: values(v) for k, v in zip(names, g[0:4])}, 'feaHead': {k: values(v) for k, v in zip(names, g[4:8])},
                  'studentPooled': values(g[8]), 'studentTokens': values(g[9])},
    }


def pkt_case(name, seed, n, D, d):
    gen = torch.Generator().manual_seed(seed)
    t_pooled, _ = clustered(gen, n, 1, D, 0.7)
    s_pooled = f32(torch.randn(n, d, generator=gen)).requires_grad_(True)
    loss = pkt_loss(s_pooled, t_pooled)
    (g,) = torch.autograd.grad(loss, [s_pooled])
    return {'name': name, 'batch': n, 'teacherDim': D, 'studentDim': d, 'teacherPooled': values(t_pooled),
            'studentPooled': values(s_pooled), 'terms': {'relational': float(loss.detach())}, 'grads': {'studentPooled': values(g)}}


def main():
    tintem = [
        tintem_case('b4-t5-D8-d3-default', 1, 4, 4, 8, 3, DEFAULT_TAUS),
        tintem_case('b4-t5-D8-d3-tau0.01', 2, 4, 4, 8, 3, [0.01]),
        tintem_case('b4-t17-D3-d8-default', 3, 4, 16, 3, 8, DEFAULT_TAUS),
        tintem_case('b16-t5-D12-d4-default', 4, 16, 4, 12, 4, DEFAULT_TAUS),
        tintem_case('b16-t17-D6-d10-tau0.01', 5, 16, 16, 6, 10, [0.01]),
        tintem_case('b16-t17-D12-d6-default', 6, 16, 16, 12, 6, DEFAULT_TAUS),
    ]
    proteus = [
        proteus_case('b4-t5-D8-d3', 11, 4, 4, 8, 3),
        proteus_case('b16-t17-D6-d10', 12, 16, 16, 6, 10),
    ]
    pkt = [pkt_case('b4-D8-d3', 21, 4, 8, 3), pkt_case('b16-D6-d10', 22, 16, 6, 10)]
    out = {
        'generator': 'scripts/goldens/method_goldens.py',
        'torch': torch.__version__,
        'layout': 'token 0 = pooled (CLS), tokens = patches; kernels in x out; arrays row-major',
        'tintem': tintem, 'proteus': proteus, 'pkt': pkt,
    }
    path = os.path.join(os.path.dirname(__file__), '..', '..', 'test', 'methods', 'fixtures', 'method-goldens.json')
    with open(path, 'w') as f:
        json.dump(out, f, separators=(',', ':'))
        f.write('\n')
    for c in tintem:
        print('tintem', c['name'], {k: round(v, 6) for k, v in c['terms'].items()})
    for c in proteus + pkt:
        print(c['name'], {k: round(v, 6) for k, v in c['terms'].items()})
    print('wrote', os.path.normpath(path), os.path.getsize(path), 'bytes')


if __name__ == '__main__':
    main()
