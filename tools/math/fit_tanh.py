"""Fits the rational function behind typenet::math::tanh for float vectors (include/typenet/math.hpp):

    tanh(a) ~ a P(a^2) / Q(a^2),  P and Q of degree 4,  Q(0) = 1,  for 0 <= a <= 9

minimising the largest relative error, by iteratively reweighted least squares: the linearised
problem a P(s) - tanh(a) Q(s) = 0, divided by tanh(a) Q_previous(s) (Loeb), with weights that grow
where the error is largest (Lawson). Prints the coefficients as floats, and the largest relative
error of the fit in double and of its evaluation in float (Horner in s = a^2, as math.hpp does).
Beyond 9, tanh in float is 1 to within 6e-8. Needs numpy:

    /usr/bin/python3 tools/math/fit_tanh.py
"""
import numpy as np

DEGREE, LIMIT = 4, 8.3

a = np.concatenate([np.linspace(1e-4, 1, 4000), np.linspace(1, LIMIT, 8000)])
t, s = np.tanh(a), a * a
Q, weights = np.ones_like(a), np.ones_like(a)
for _ in range(60):
    columns = [a * s**i for i in range(DEGREE + 1)] + [-t * s**j for j in range(1, DEGREE + 1)]
    scale = weights / (t * Q)
    c, *_ = np.linalg.lstsq(np.stack(columns, 1) * scale[:, None], t * scale, rcond=None)
    p, q = c[:DEGREE + 1], np.concatenate([[1.0], c[DEGREE + 1:]])
    Q = sum(q[j] * s**j for j in range(DEGREE + 1))
    error = np.abs(a * sum(p[i] * s**i for i in range(DEGREE + 1)) / Q - t) / t
    weights = weights * np.sqrt(error / error.max()) + 1e-12
    weights /= weights.max()
print("largest relative error of the fit (double):", error.max())

p32, q32 = p.astype(np.float32), q.astype(np.float32)
x = np.linspace(1e-6, LIMIT, 2000001, dtype=np.float32)
x2 = x * x
num, den = p32[-1], q32[-1]
for i in range(DEGREE - 1, -1, -1):
    num, den = num * x2 + p32[i], den * x2 + q32[i]
got = (x * num / den).astype(np.float64)
exact = np.tanh(x.astype(np.float64))
print("largest relative error in float:", (np.abs(got - exact) / exact).max())
print("P:", ", ".join(repr(float(v)) for v in p32))
print("Q:", ", ".join(repr(float(v)) for v in q32))
