/**
 * WGSL helpers shared by kernels. WGSL lets an implementation assume no NaN or infinity appears,
 * and leaves builtins like log, sqrt and division undefined outside their domain, so the HAL's
 * edge cases (log(0) = -Inf, NaN-propagating max, x/0) are spelled out with bit tests here.
 * `withPrelude` adds only the helpers a kernel's code mentions (and what they depend on).
 */
interface Helper {
  readonly code: string;
  readonly uses: readonly string[];
}

const HELPERS: Record<string, Helper> = {
  INF_BITS: { code: "var<private> INF_BITS: u32 = 0x7f800000u;", uses: [] },
  f_inf: { code: "fn f_inf() -> f32 { return bitcast<f32>(INF_BITS); }", uses: ["INF_BITS"] },
  f_nan: { code: "fn f_nan() -> f32 { return bitcast<f32>(INF_BITS | 0x400000u); }", uses: ["INF_BITS"] },
  is_nan: { code: "fn is_nan(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }", uses: [] },
  is_inf: { code: "fn is_inf(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) == 0x7f800000u; }", uses: [] },
  sign_bit: { code: "fn sign_bit(x: f32) -> bool { return (bitcast<u32>(x) & 0x80000000u) != 0u; }", uses: [] },
  f16_to_f32: {
    code: `fn f16_to_f32(h: u32) -> f32 {
  let s = (h & 0x8000u) << 16u;
  let e = (h >> 10u) & 0x1fu;
  let m = h & 0x3ffu;
  if (e == 0u) { let v = f32(m) * 5.9604644775390625e-8f; return select(v, -v, s != 0u); }
  if (e == 31u) { return bitcast<f32>(s | 0x7f800000u | (m << 13u)); }
  return bitcast<f32>(s | ((e + 112u) << 23u) | (m << 13u));
}`,
    uses: [],
  },
  // Round to nearest even, bit for bit as the HAL's float32ToFloat16Bits.
  f32_to_f16: {
    code: `fn f32_to_f16(v: f32) -> u32 {
  let x = bitcast<u32>(v);
  let sgn = (x >> 16u) & 0x8000u;
  let ex = i32((x >> 23u) & 0xffu);
  var mant = x & 0x7fffffu;
  if (ex == 255) { return sgn | 0x7c00u | select(0u, 0x200u, mant != 0u); }
  let e = ex - 112;
  if (e >= 31) { return sgn | 0x7c00u; }
  if (e <= 0) {
    if (e < -10) { return sgn; }
    mant = mant | 0x800000u;
    let shift = u32(14 - e);
    var half = mant >> shift;
    let rem = mant & ((1u << shift) - 1u);
    let mid = 1u << (shift - 1u);
    if (rem > mid || (rem == mid && (half & 1u) == 1u)) { half += 1u; }
    return sgn | half;
  }
  var half = (u32(e) << 10u) | (mant >> 13u);
  let rem = mant & 0x1fffu;
  if (rem > 0x1000u || (rem == 0x1000u && (half & 1u) == 1u)) { half += 1u; }
  return sgn | half;
}`,
    uses: [],
  },
  // JavaScript's ToInt32 of a float: truncate, then wrap modulo 2^32 (NaN and infinities give 0).
  f32_to_i32_wrap: {
    code: `fn f32_to_i32_wrap(x: f32) -> i32 {
  let bits = bitcast<u32>(x);
  let e = i32((bits >> 23u) & 0xffu) - 127;
  if (e == 128) { return 0; }
  if (e < 31) { return i32(x); }
  if (e - 23 >= 32) { return 0; }
  let mag = ((bits & 0x7fffffu) | 0x800000u) << u32(e - 23);
  return bitcast<i32>(select(mag, 0u - mag, (bits & 0x80000000u) != 0u));
}`,
    uses: [],
  },
  f_max: {
    code: "fn f_max(a: f32, b: f32) -> f32 { if (is_nan(a)) { return a; } if (is_nan(b)) { return b; } if (a == b) { return select(a, b, sign_bit(a)); } return select(b, a, a > b); }",
    uses: ["is_nan", "sign_bit"],
  },
  f_min: {
    code: "fn f_min(a: f32, b: f32) -> f32 { if (is_nan(a)) { return a; } if (is_nan(b)) { return b; } if (a == b) { return select(b, a, sign_bit(a)); } return select(b, a, a < b); }",
    uses: ["is_nan", "sign_bit"],
  },
  f_div: {
    code: `fn f_div(a: f32, b: f32) -> f32 {
  if (b == 0.0f) {
    if (a == 0.0f || is_nan(a)) { return f_nan(); }
    let neg = sign_bit(a) != sign_bit(b);
    return select(f_inf(), -f_inf(), neg);
  }
  if (is_inf(b)) { if (is_inf(a) || is_nan(a)) { return f_nan(); } return select(0.0f, -0.0f, sign_bit(a) != sign_bit(b)); }
  return a / b;
}`,
    uses: ["is_nan", "is_inf", "sign_bit", "f_inf", "f_nan"],
  },
  f_log: {
    code: `fn f_log(x: f32) -> f32 {
  if (is_nan(x) || x < 0.0f) { return f_nan(); }
  if (x == 0.0f) { return -f_inf(); }
  if (is_inf(x)) { return x; }
  return log(x);
}`,
    uses: ["is_nan", "is_inf", "f_inf", "f_nan"],
  },
  f_exp: {
    code: `fn f_exp(x: f32) -> f32 {
  if (is_nan(x)) { return x; }
  if (x > 88.72283935546875f) { return f_inf(); }
  if (x < -103.97208f) { return 0.0f; }
  return exp(x);
}`,
    uses: ["is_nan", "f_inf"],
  },
  f_sqrt: {
    code: `fn f_sqrt(x: f32) -> f32 {
  if (is_nan(x) || x < 0.0f) { return f_nan(); }
  if (is_inf(x) || x == 0.0f) { return x; }
  return sqrt(x);
}`,
    uses: ["is_nan", "is_inf", "f_nan"],
  },
  f_rsqrt: {
    code: `fn f_rsqrt(x: f32) -> f32 {
  if (is_nan(x) || x < 0.0f) { return f_nan(); }
  if (x == 0.0f) { return select(f_inf(), -f_inf(), sign_bit(x)); }
  if (is_inf(x)) { return 0.0f; }
  return 1.0f / sqrt(x);
}`,
    uses: ["is_nan", "is_inf", "sign_bit", "f_inf", "f_nan"],
  },
  f_tanh: {
    code: `fn f_tanh(x: f32) -> f32 {
  if (is_nan(x)) { return x; }
  let a = abs(x);
  if (a > 9.0f) { return select(1.0f, -1.0f, x < 0.0f); }
  if (a < 0.0004f) { return x; }
  // tanh(a) = expm1(2a) / (expm1(2a) + 2), with expm1 kept accurate for small a by a short series.
  let t = 2.0f * a;
  var em1 = exp(t) - 1.0f;
  if (t < 0.5f) { em1 = t * (1.0f + t * (0.5f + t * (0.16666667f + t * (0.041666668f + t * (0.008333334f + t * (0.0013888889f + t * 0.0001984127f)))))); }
  let r = em1 / (em1 + 2.0f);
  return select(r, -r, x < 0.0f);
}`,
    uses: ["is_nan"],
  },
  f_sigmoid: {
    code: `fn f_sigmoid(x: f32) -> f32 {
  if (is_nan(x)) { return x; }
  if (x >= 0.0f) { return 1.0f / (1.0f + f_exp(-x)); }
  let e = f_exp(x);
  return e / (1.0f + e);
}`,
    uses: ["is_nan", "f_exp"],
  },
  // erf to ~1e-7 absolute: Taylor series near zero, a rational complement-error approximation beyond.
  f_erf: {
    code: `fn f_erf(x: f32) -> f32 {
  if (is_nan(x)) { return x; }
  let a = abs(x);
  if (a >= 4.0f) { return select(1.0f, -1.0f, x < 0.0f); }
  var r: f32;
  if (a < 0.6f) {
    let z = a * a;
    r = a * (1.1283791671f + z * (-0.3761263890f + z * (0.1128379167f + z * (-0.0268661706f + z * (0.0052239776f + z * (-0.0008548327f + z * 0.0001205491f))))));
  } else {
    let t = 1.0f / (1.0f + 0.5f * a);
    let y = t * exp(-a * a - 1.26551223f + t * (1.00002368f + t * (0.37409196f + t * (0.09678418f + t * (-0.18628806f + t * (0.27886807f + t * (-1.13520398f + t * (1.48851587f + t * (-0.82215223f + t * 0.17087277f)))))))));
    r = 1.0f - y;
  }
  return select(r, -r, x < 0.0f);
}`,
    uses: ["is_nan"],
  },
  // sin and cos by Cody-Waite reduction to [-pi/4, pi/4] and minimax polynomials (Cephes sinf/cosf):
  // builtins may be as coarse as 2^-11 absolute (SwiftShader's are), far from the CPU's float64 results.
  trig_reduce: {
    code: `fn trig_reduce(x: f32) -> vec2<f32> {
  let k = round(x * 0.63661977236758134f);
  let r = ((x - k * 1.5703125f) - k * 4.8375129699707031e-4f) - k * 7.5497899548918821e-8f;
  return vec2<f32>(r, k);
}
fn sin_poly(r: f32) -> f32 { let z = r * r; return r + r * z * (-1.6666654611e-1f + z * (8.3321608736e-3f + z * -1.9515295891e-4f)); }
fn cos_poly(r: f32) -> f32 { let z = r * r; return 1.0f - 0.5f * z + z * z * (4.166664568298827e-2f + z * (-1.388731625493765e-3f + z * 2.443315711809948e-5f)); }`,
    uses: [],
  },
  f_sin: {
    code: `fn f_sin(x: f32) -> f32 {
  if (is_nan(x) || is_inf(x)) { return f_nan(); }
  if (abs(x) > 65536.0f) { return sin(x); } // the 3-part reduction runs out of bits; huge arguments are noise anyway
  let rk = trig_reduce(x);
  let q = i32(rk.y) & 3;
  let v = select(sin_poly(rk.x), cos_poly(rk.x), (q & 1) == 1);
  return select(v, -v, q >= 2);
}`,
    uses: ["trig_reduce", "is_nan", "is_inf", "f_nan"],
  },
  f_cos: {
    code: `fn f_cos(x: f32) -> f32 {
  if (is_nan(x) || is_inf(x)) { return f_nan(); }
  if (abs(x) > 65536.0f) { return cos(x); }
  let rk = trig_reduce(x);
  let q = i32(rk.y) & 3;
  let v = select(cos_poly(rk.x), sin_poly(rk.x), (q & 1) == 1);
  return select(v, -v, q == 1 || q == 2);
}`,
    uses: ["trig_reduce", "is_nan", "is_inf", "f_nan"],
  },
  f_sign: {
    code: "fn f_sign(x: f32) -> f32 { if (is_nan(x) || x == 0.0f) { return x; } return select(1.0f, -1.0f, x < 0.0f); }",
    uses: ["is_nan"],
  },
  // C pow, as the CPU device computes it: 1^y = 1, x^0 = 1, (-1)^±Inf = 1, negative base needs an integer exponent.
  f_pow: {
    code: `fn f_pow(a: f32, b: f32) -> f32 {
  if (b == 0.0f || a == 1.0f) { return 1.0f; }
  if (is_nan(a) || is_nan(b)) { return f_nan(); }
  let ab = abs(a);
  if (is_inf(b)) {
    if (ab == 1.0f) { return 1.0f; }
    return select(0.0f, f_inf(), (ab > 1.0f) == (b > 0.0f));
  }
  let whole = floor(b) == b;
  if (a < 0.0f && !whole) { return f_nan(); }
  let odd = whole && abs(b) < 16777216.0f && (i32(abs(b)) & 1) == 1;
  var r: f32;
  if (ab == 0.0f) {
    r = select(f_inf(), 0.0f, b > 0.0f);
  } else if (is_inf(ab)) {
    r = select(0.0f, f_inf(), b > 0.0f);
  } else if (whole && abs(b) <= 64.0f) {
    // Repeated squaring keeps small integer powers within a few ulps.
    var e = u32(abs(b));
    var base = ab;
    r = 1.0f;
    while (e > 0u) { if ((e & 1u) == 1u) { r = r * base; } base = base * base; e = e >> 1u; }
    if (b < 0.0f) { r = 1.0f / r; }
  } else if (b == 0.5f) {
    r = sqrt(ab);
  } else {
    r = exp2(b * log2(ab));
  }
  return select(r, -r, odd && sign_bit(a));
}`,
    uses: ["is_nan", "is_inf", "sign_bit", "f_inf", "f_nan"],
  },
  i_pow: {
    code: `fn i_pow(a: i32, b: i32) -> i32 {
  if (b < 0) { if (a == 1) { return 1; } if (a == -1) { return select(-1, 1, (b & 1) == 0); } return 0; }
  var r = 1; var base = a; var e = u32(b);
  while (e > 0u) { if ((e & 1u) == 1u) { r = r * base; } base = base * base; e = e >> 1u; }
  return r;
}`,
    uses: [],
  },
  // C fmod (sign of the dividend).
  f_fmod: {
    code: `fn f_fmod(a: f32, b: f32) -> f32 {
  if (is_nan(a) || is_nan(b) || is_inf(a) || b == 0.0f) { return f_nan(); }
  if (is_inf(b)) { return a; }
  let r = a - b * trunc(a / b);
  if (r == 0.0f) { return select(0.0f, -0.0f, sign_bit(a)); }
  return r;
}`,
    uses: ["is_nan", "is_inf", "sign_bit", "f_nan"],
  },
  // Floor modulo (sign of the divisor), Python/NumPy.
  f_mod: {
    code: `fn f_mod(a: f32, b: f32) -> f32 {
  let r = f_fmod(a, b);
  if (is_nan(r)) { return r; }
  if (r == 0.0f) { return select(0.0f, -0.0f, b < 0.0f); }
  if ((r < 0.0f) != (b < 0.0f)) { return r + b; }
  return r;
}`,
    uses: ["f_fmod", "is_nan"],
  },
  i_mod: {
    code: "fn i_mod(a: i32, b: i32) -> i32 { if (b == 0) { return 0; } let r = a % b; if (r != 0 && ((r < 0) != (b < 0))) { return r + b; } return r; }",
    uses: [],
  },
  i_fmod: { code: "fn i_fmod(a: i32, b: i32) -> i32 { if (b == 0) { return 0; } return a % b; }", uses: [] },
  i_div: { code: "fn i_div(a: i32, b: i32) -> i32 { if (b == 0) { return 0; } return a / b; }", uses: [] },
  // The HAL's counter-based random stream (hal/src/random.ts) in u32 arithmetic.
  fmix32: {
    code: "fn fmix32(x: u32) -> u32 { var h = x; h ^= h >> 16u; h *= 0x85ebca6bu; h ^= h >> 13u; h *= 0xc2b2ae35u; h ^= h >> 16u; return h; }",
    uses: [],
  },
  random_unit: {
    code: "fn random_unit(seed: u32, i: u32) -> f32 { let bits = fmix32(seed ^ fmix32((i + 1u) * 0x9e3779b9u)); return f32(bits >> 8u) / 16777216.0f; }",
    uses: ["fmix32"],
  },
  random_normal: {
    code: `fn random_normal(seed: u32, i: u32) -> f32 {
  let u1 = 1.0f - random_unit(seed, 2u * i);
  let u2 = random_unit(seed, 2u * i + 1u);
  // cos(2 pi u2) = -cos(pi (2 u2 - 1)): keeps the argument in [-pi, pi].
  return sqrt(-2.0f * log(u1)) * -f_cos(3.14159265358979f * (2.0f * u2 - 1.0f));
}`,
    uses: ["random_unit", "f_cos"],
  },
};

function mentions(code: string, name: string): boolean {
  return new RegExp(`\\b${name}\\b`).test(code);
}

export function withPrelude(code: string): string {
  const included = new Set<string>();
  const visit = (name: string) => {
    if (included.has(name)) return;
    for (const dep of HELPERS[name]!.uses) visit(dep);
    included.add(name);
  };
  for (const name of Object.keys(HELPERS)) if (mentions(code, name)) visit(name);
  // Dependencies first: `included` is in visit order, which puts every helper after what it uses.
  return [...[...included].map((n) => HELPERS[n]!.code), code].join("\n");
}
