"""Tests of the OpenAI Files and Batch API (/openai)."""
