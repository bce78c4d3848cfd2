import wandb
run = wandb.init(project="tinyllm_hoon", name="failing3")
run.log({"x": 1.0})
run.finish(exit_code=7)
