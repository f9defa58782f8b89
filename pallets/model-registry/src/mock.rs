//! Test runtime.
