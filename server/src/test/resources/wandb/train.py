# The training script of issue 13, as a W&B user writes it, with its name and tags from the
# command line and every value it logs printed as a JSON line, so the test can compare them.
#   python train.py NAME TAGS_JSON [raise]
import json
import random
import sys

import wandb

name, tags = sys.argv[1], json.loads(sys.argv[2])
fail = len(sys.argv) > 3 and sys.argv[3] == "raise"

wandb.login()
wandb.init(project="tinyllm_hoon", name=name, notes="trainging test", tags=tags,
           config={"learning_rate": 0.02, "architecture": "CNN", "dataset": "CIFAR-100", "epochs": 10})
print("RUN " + json.dumps({"id": wandb.run.id, "name": name}), flush=True)
epochs = 10
offset = random.random() / 5
step = 0
for epoch in range(2, epochs):
    acc = 1 - 2 ** -epoch - random.random() / epoch - offset
    loss = 2 ** -epoch + random.random() / epoch + offset
    wandb.log({"acc": acc, "loss": loss})
    print("LOGGED " + json.dumps({"step": step, "acc": acc, "loss": loss}), flush=True)
    step += 1
    if fail and epoch == 5:
        raise RuntimeError("training diverged (on purpose)")
wandb.finish()
