"""Everything about talking to a model, in four parts a newcomer can find.

client.py        LLMClient, the one boundary to a model: requests, structured-output fallbacks,
                 parameter adaptation, usage
policy.py        RetryPolicy, the one retry and rate policy (every number), the Deadline, error kinds
gate.py          RateGate, the limiter all workers share: in-flight cap, holds after a 429, halting
capabilities.py  what each endpoint accepts, remembered on disk
describe.py      one clear EndpointError for whatever went wrong

Import from the modules themselves: nothing here imports openai until a client is built.
"""
