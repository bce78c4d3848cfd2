# A run continued by a later process: wandb.init(id=..., resume=...), logging N steps of
# loss = BASE + i.
#   python resume.py RUN_ID allow|must N BASE
import sys

import wandb

run_id, resume, n, base = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
wandb.init(project="tinyllm_hoon", id=run_id, resume=resume, name="resumed")
for i in range(n):
    wandb.log({"loss": base + i})
wandb.finish()
