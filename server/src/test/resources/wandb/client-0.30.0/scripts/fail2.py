import wandb
wandb.init(project="tinyllm_hoon", name="failing2")
wandb.log({"x": 1.0})
raise ValueError("boom")
