//! The makemore family of character-level language models, built from
//! [`nn`](crate::nn) modules. Each model maps a batch of contexts `(B, T)` of
//! character indices to next-character logits `(B, V)`.

mod wavenet;

pub use wavenet::{WaveNet, WaveNetConfig};
