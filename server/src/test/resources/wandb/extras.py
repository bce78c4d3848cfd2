# What a wandb script does besides the loop: nested keys, non-finite and non-numeric
# values, define_metric, an alert, a config update and a summary value.
import json

import wandb

run = wandb.init(project="tinyllm_hoon", name="extras", config={"lr": 0.1})
print("RUN " + json.dumps({"id": run.id, "name": "extras"}), flush=True)
run.define_metric("loss", summary="min")
wandb.log({"loss": 0.5, "val": {"acc": 0.25}, "text": "not a number", "diverged": float("nan"),
           "grad": float("inf")})
wandb.log({"loss": 0.25, "val": {"acc": 0.5}, "diverged": 1.0, "grad": -float("inf")})
run.alert(title="loss plateau", text="loss stopped falling", level=wandb.AlertLevel.WARN)
run.config.update({"extra": "late"})
wandb.finish()
