import wandb, time
run = wandb.init(project="tinyllm_hoon", name="slow", settings=wandb.Settings(x_stats_sampling_interval=1.0))
for i in range(4):
    print("epoch", i, "ünï")
    run.log({"loss": 1.0 / (i + 1)})
    time.sleep(1.2)
run.finish()
