# A numpy stand-in for the few torch calls the reference uses (there is no PyTorch on this machine).
import contextlib
import numpy as np

class Tensor(np.ndarray):
    def transpose(self, a, b):
        return np.swapaxes(self, a, b)
    def mean(self, axis=None, keepdim=False):
        return np.ndarray.mean(self, axis=axis, keepdims=keepdim)
    def pow(self, e):
        return np.power(self, np.float32(e)).astype(self.dtype)
    def float(self):
        return self.astype(np.float32)
    def gather(self, dim, idx):
        return np.take_along_axis(np.asarray(self), np.asarray(idx), axis=dim).view(Tensor)

def T(a):
    return np.asarray(a).view(Tensor)

long = np.int64
float32 = np.float32
def full(shape, value, dtype=np.float32):
    return T(np.full(shape, value, dtype=dtype))
def ones(*shape):
    return T(np.ones(shape, dtype=np.float32))
def arange(n):
    return T(np.arange(n))
def triu(x, diagonal=0):
    return T(np.triu(np.asarray(x), diagonal))
def rsqrt(x):
    return T((1 / np.sqrt(np.asarray(x))).astype(np.float32))
def softmax(x, dim):
    z = np.asarray(x) - np.asarray(x).max(axis=dim, keepdims=True)
    e = np.exp(z)
    return T((e / e.sum(axis=dim, keepdims=True)).astype(np.float32))
def log_softmax(x, dim):
    z = np.asarray(x) - np.asarray(x).max(axis=dim, keepdims=True)
    return T((z - np.log(np.exp(z).sum(axis=dim, keepdims=True))).astype(np.float32))
@contextlib.contextmanager
def no_grad():
    yield
