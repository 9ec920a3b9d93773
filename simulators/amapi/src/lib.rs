//! The AMAPI mock (under construction).
