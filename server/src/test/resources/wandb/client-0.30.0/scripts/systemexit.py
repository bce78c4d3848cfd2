import wandb
wandb.init(project="tinyllm_hoon", name="failing")
wandb.log({"x": 1.0})
raise SystemExit(3)
