//! Containment of panics raised inside third-party engine code.

use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind};

/// Runs `f`, turning a panic into `Err(message)`.
///
/// `AssertUnwindSafe` is sound here because every caller drops whatever `f`
/// touched mutably when it panics: nothing half-updated is observed later.
/// The process must be built with `panic = "unwind"` (the default); under
/// `panic = "abort"` no panic can be contained.
pub(crate) fn contain<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|payload| panic_message(payload.as_ref()))
}

/// The text of a panic payload (`panic!` gives a `&str` or a `String`).
pub(crate) fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "panic with a non-string payload".to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn returns_the_value_or_the_panic_message() {
        assert_eq!(contain(|| 7), Ok(7));
        let message = format!("index {} out of range", 3);
        assert_eq!(contain(|| -> u8 { panic!("{message}") }), Err(message));
        assert_eq!(contain(|| -> u8 { panic!("static") }), Err("static".to_string()));
        let odd = contain(|| -> u8 { std::panic::panic_any(42u32) });
        assert_eq!(odd, Err("panic with a non-string payload".to_string()));
    }
}
