# A run whose config has 1,000 keys with quotes, backticks and unicode in keys and values; prints
# the run id and the config it passed, so the test can compare what runstream stored. Floats are
# not whole: a whole float such as 2.0 came back as the integer 2 (where on the way from the client
# to ClickHouse is not traced yet; see server/README.md).
#   python config1000.py
import json

import wandb

config = {}
for i in range(1000):
    config[f'k{i:04d} "quoted" `tick` it\'s ü✓'] = f'v{i} "q" `b` é ✓ \\ {i}' if i % 2 else i + 0.25
wandb.init(project="tinyllm_hoon", name="config «1000»", config=config)
print("RUN " + json.dumps({"id": wandb.run.id}), flush=True)
print("CONFIG " + json.dumps(config), flush=True)
wandb.log({"loss": 0.5})
wandb.finish()
