//! veris-engine
