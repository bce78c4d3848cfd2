# A long run for the fault tests: N steps of two random values under a fixed run id, each printed
# as the client logged it, paced so that the run is still logging when the test breaks something.
#   python steps.py RUN_ID N PAUSE_SECONDS
import json
import random
import sys
import time

import wandb

run_id, n, pause = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
# Posts every second rather than wandb's default interval, so that a kill lands between posts.
wandb.init(project="faults", id=run_id, name=run_id,
           settings=wandb.Settings(x_file_stream_transmit_interval=1))
print("RUN " + json.dumps({"id": wandb.run.id}), flush=True)
for step in range(n):
    loss = random.random()
    acc = random.random()
    wandb.log({"loss": loss, "acc": acc})
    print("LOGGED " + json.dumps({"step": step, "loss": loss, "acc": acc}), flush=True)
    time.sleep(pause)
wandb.finish()
