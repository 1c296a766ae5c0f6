//! veris-store
