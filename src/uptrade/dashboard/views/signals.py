"""The signals page (to be built)."""

from __future__ import annotations

import streamlit as st

st.title("signals")
