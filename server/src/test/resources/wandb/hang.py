# A run whose process the test kills with SIGKILL: it logs N steps, says so, and waits to be killed.
#   python hang.py RUN_ID N
import json
import sys
import time

import wandb

run_id, n = sys.argv[1], int(sys.argv[2])
wandb.init(project="faults", id=run_id, name=run_id,
           settings=wandb.Settings(x_file_stream_transmit_interval=1))
for step in range(n):
    wandb.log({"loss": 1.0 / (step + 1)})
    print("LOGGED " + json.dumps({"step": step, "loss": 1.0 / (step + 1)}), flush=True)
# The logged steps reach the server within the transmit interval; the test waits for them there.
print("WAITING", flush=True)
time.sleep(3600)
