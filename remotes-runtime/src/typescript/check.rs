//! The checks of an argument as the bindings state them (the contract's `Check`), and how generated code builds
//! them from the argument's `#[remote(...)]` constraints.
//!
//! A `range` bound is evaluated where the interface is declared, as a value of the argument's type, then converted
//! by [`ToBound`] when that type is a number. Generated code calls `(&Probe(&bound)).ts_bound()` with both
//! [`NumericBound`] and [`OtherBound`] in scope: the first applies to numbers, the second (one reference further)
//! to every other type, whose `range` the TypeScript side cannot check.

/// The largest integer a JavaScript number holds exactly: 2^53 - 1.
const MAX_SAFE: u128 = (1 << 53) - 1;

/// A `range` bound, as a number.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Bound {
    /// A signed integer.
    Signed(i128),
    /// An unsigned integer.
    Unsigned(u128),
    /// A float (`f32` bounds are converted exactly).
    Float(f64),
}

impl Bound {
    /// The bound as TypeScript reads it back exactly: `99`, `-5`, `9007199254740993n`, `0.5`, `1e-7`; `None` for
    /// NaN and the infinities, which no check states.
    pub(crate) fn render(self) -> Option<String> {
        match self {
            Bound::Signed(v) if v.unsigned_abs() > MAX_SAFE => Some(format!("{v}n")),
            Bound::Unsigned(v) if v > MAX_SAFE => Some(format!("{v}n")),
            Bound::Signed(v) => Some(v.to_string()),
            Bound::Unsigned(v) => Some(v.to_string()),
            // `{:?}` is the shortest text that parses back to the same float, with an exponent when that is
            // shorter (`1e-7`, `1e21`), which JavaScript reads the same way.
            Bound::Float(v) if v.is_finite() => Some(format!("{v:?}")),
            Bound::Float(_) => None,
        }
    }
}

/// The numeric types whose `range` bounds the bindings state.
pub trait ToBound {
    /// The value as a bound.
    fn to_bound(&self) -> Bound;
}

macro_rules! to_bound {
    ($kind:ident as $wide:ty: $($ty:ty),*) => {$(
        impl ToBound for $ty {
            fn to_bound(&self) -> Bound {
                Bound::$kind(<$wide>::from(*self))
            }
        }
    )*};
}

to_bound!(Signed as i128: i8, i16, i32, i64, i128);
to_bound!(Unsigned as u128: u8, u16, u32, u64, u128);
to_bound!(Float as f64: f32, f64);

impl ToBound for usize {
    fn to_bound(&self) -> Bound {
        Bound::Unsigned(*self as u128)
    }
}

impl ToBound for isize {
    fn to_bound(&self) -> Bound {
        Bound::Signed(*self as i128)
    }
}

/// One side of a `range`, as generated code reports it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Probed {
    /// The range has no bound on this side (`..=9`, `1..`).
    Absent,
    /// A number.
    Value(Bound),
    /// A value of a type that is not a number: the range is left to the server.
    Unsupported,
}

/// A bound being classified: see the module documentation.
pub struct Probe<'a, T>(pub &'a T);

/// A number bound (chosen first, when `T: ToBound`).
pub trait NumericBound {
    /// The bound as a number.
    fn ts_bound(&self) -> Probed;
}

impl<T: ToBound> NumericBound for Probe<'_, T> {
    fn ts_bound(&self) -> Probed {
        Probed::Value(self.0.to_bound())
    }
}

/// Any other bound.
pub trait OtherBound {
    /// Not a number.
    fn ts_bound(&self) -> Probed;
}

impl<T> OtherBound for &Probe<'_, T> {
    fn ts_bound(&self) -> Probed {
        Probed::Unsupported
    }
}

/// What TypeScript checks of one argument before sending it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Check {
    range: Option<(Option<Bound>, Option<Bound>, bool)>,
    len: Option<(usize, Option<usize>)>,
    finite: bool,
}

impl Check {
    /// No check.
    pub fn new() -> Check {
        Check::default()
    }

    /// `range = min..max` (`max_exclusive`) or `min..=max`; left out when a bound is not a number, or is NaN or
    /// infinite.
    pub fn range(mut self, min: Probed, max: Probed, max_exclusive: bool) -> Check {
        let side = |probed: Probed| match probed {
            Probed::Absent => Some(None),
            Probed::Value(Bound::Float(v)) if !v.is_finite() => None,
            Probed::Value(bound) => Some(Some(bound)),
            Probed::Unsupported => None,
        };
        if let (Some(min), Some(max)) = (side(min), side(max)) {
            if min.is_some() || max.is_some() {
                self.range = Some((min, max, max_exclusive && max.is_some()));
            }
        }
        self
    }

    /// `len = min..max` (`max_exclusive`) or `min..=max`: lengths, whose largest is stated inclusive.
    pub fn len(mut self, min: Option<usize>, max: Option<usize>, max_exclusive: bool) -> Check {
        let min = min.unwrap_or(0);
        self.len = Some(match max {
            // `..0` admits no length at all.
            Some(0) if max_exclusive => (min.max(1), Some(0)),
            Some(max) if max_exclusive => (min, Some(max - 1)),
            max => (min, max),
        });
        self
    }

    /// The argument is an `f32` or `f64` without `allow_non_finite`.
    pub fn finite(mut self) -> Check {
        self.finite = true;
        self
    }

    /// `{ range: { min: 1, max: 99 }, finite: true }`, or `None` for no check.
    pub(crate) fn render(&self) -> Option<String> {
        let mut parts = Vec::new();
        if let Some((min, max, exclusive)) = self.range {
            let mut bounds = Vec::new();
            bounds.extend(min.and_then(Bound::render).map(|v| format!("min: {v}")));
            bounds.extend(max.and_then(Bound::render).map(|v| format!("max: {v}")));
            if exclusive {
                bounds.push("maxExclusive: true".to_owned());
            }
            parts.push(format!("range: {{ {} }}", bounds.join(", ")));
        }
        if let Some((min, max)) = self.len {
            let mut bounds = Vec::new();
            if min > 0 {
                bounds.push(format!("min: {min}"));
            }
            bounds.extend(max.map(|max| format!("max: {max}")));
            if !bounds.is_empty() {
                parts.push(format!("len: {{ {} }}", bounds.join(", ")));
            }
        }
        if self.finite {
            parts.push("finite: true".to_owned());
        }
        (!parts.is_empty()).then(|| format!("{{ {} }}", parts.join(", ")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn probe<T>(value: T) -> Probed
    where
        for<'a> Probe<'a, T>: NumericBound,
    {
        Probe(&value).ts_bound()
    }

    #[test]
    fn bounds_read_back_exactly() {
        assert_eq!(Bound::Unsigned(99).render().as_deref(), Some("99"));
        assert_eq!(Bound::Signed(-5).render().as_deref(), Some("-5"));
        assert_eq!(Bound::Unsigned(MAX_SAFE).render().as_deref(), Some("9007199254740991"));
        assert_eq!(Bound::Unsigned(MAX_SAFE + 1).render().as_deref(), Some("9007199254740992n"));
        assert_eq!(Bound::Signed(-(MAX_SAFE as i128) - 1).render().as_deref(), Some("-9007199254740992n"));
        assert_eq!(Bound::Unsigned(u128::MAX).render().unwrap(), format!("{}n", u128::MAX));
        assert_eq!(Bound::Float(0.5).render().as_deref(), Some("0.5"));
        assert_eq!(Bound::Float(1.0).render().as_deref(), Some("1.0"));
        assert_eq!(Bound::Float(1e-7).render().as_deref(), Some("1e-7"));
        assert_eq!(Bound::Float(-2.5e300).render().as_deref(), Some("-2.5e300"));
        assert_eq!(Bound::Float(f64::NAN).render(), None);
        assert_eq!(Bound::Float(f64::INFINITY).render(), None);
        // An f32 bound is stated as its exact value.
        assert_eq!(0.1f32.to_bound().render().as_deref(), Some("0.10000000149011612"));
        for v in [0.1, 1e-7, 123456.789, 5e-324, f64::MAX] {
            assert_eq!(Bound::Float(v).render().unwrap().parse::<f64>(), Ok(v));
        }
    }

    #[test]
    #[allow(clippy::needless_borrow)] // the borrow is the point: see the module documentation
    fn numbers_are_bounds_and_other_types_are_not() {
        use super::OtherBound as _;
        assert_eq!(probe(7u8), Probed::Value(Bound::Unsigned(7)));
        assert_eq!(probe(-7i64), Probed::Value(Bound::Signed(-7)));
        assert_eq!(probe(0.5f32), Probed::Value(Bound::Float(0.5)));
        assert_eq!(probe(3usize), Probed::Value(Bound::Unsigned(3)));
        let text = String::from("a");
        assert_eq!((&Probe(&text)).ts_bound(), Probed::Unsupported);
        let number = 5u16;
        assert_eq!((&Probe(&number)).ts_bound(), Probed::Value(Bound::Unsigned(5)));
    }

    #[test]
    fn checks_render_as_the_contract_writes_them() {
        let v = |n: u128| Probed::Value(Bound::Unsigned(n));
        assert_eq!(Check::new().render(), None);
        assert_eq!(Check::new().range(v(1), v(99), false).render().unwrap(), "{ range: { min: 1, max: 99 } }");
        assert_eq!(
            Check::new().range(v(1), v(99), true).render().unwrap(),
            "{ range: { min: 1, max: 99, maxExclusive: true } }"
        );
        assert_eq!(Check::new().range(Probed::Absent, v(9), false).render().unwrap(), "{ range: { max: 9 } }");
        assert_eq!(Check::new().range(v(1), Probed::Absent, false).render().unwrap(), "{ range: { min: 1 } }");
        assert_eq!(Check::new().range(v(1), Probed::Unsupported, false).render(), None);
        let inf = Probed::Value(Bound::Float(f64::INFINITY));
        assert_eq!(Check::new().range(Probed::Value(Bound::Float(0.0)), inf, false).render(), None);
        assert_eq!(Check::new().len(None, Some(200), false).render().unwrap(), "{ len: { max: 200 } }");
        assert_eq!(Check::new().len(Some(3), Some(20), false).render().unwrap(), "{ len: { min: 3, max: 20 } }");
        assert_eq!(Check::new().len(None, Some(64), true).render().unwrap(), "{ len: { max: 63 } }");
        assert_eq!(Check::new().len(Some(2), None, false).render().unwrap(), "{ len: { min: 2 } }");
        assert_eq!(Check::new().len(None, Some(0), true).render().unwrap(), "{ len: { min: 1, max: 0 } }");
        assert_eq!(Check::new().finite().render().unwrap(), "{ finite: true }");
        assert_eq!(
            Check::new()
                .range(Probed::Value(Bound::Float(0.0)), Probed::Value(Bound::Float(1.0)), false)
                .finite()
                .render()
                .unwrap(),
            "{ range: { min: 0.0, max: 1.0 }, finite: true }"
        );
    }
}
