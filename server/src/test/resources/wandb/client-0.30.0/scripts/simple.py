import wandb, random, sys
mode = sys.argv[1] if len(sys.argv) > 1 else "online"
wandb.init(project="tinyllm_hoon", name="test1", notes="trainging test", tags=["tag1", "tag2"], mode=mode,
           config={"learning_rate": 0.02, "architecture": "CNN", "dataset": "CIFAR-100", "epochs": 10})
epochs = 10
offset = random.random() / 5
for epoch in range(2, epochs):
    acc = 1 - 2 ** -epoch - random.random() / epoch - offset
    loss = 2 ** -epoch + random.random() / epoch + offset
    wandb.log({"acc": acc, "loss": loss})
wandb.finish()
