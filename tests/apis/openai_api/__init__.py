"""Tests of the OpenAI Files and Batch API (/openai). Not named `openai`: with tests/apis on
sys.path (its flat test modules put it there), a package of that name would shadow the SDK."""
