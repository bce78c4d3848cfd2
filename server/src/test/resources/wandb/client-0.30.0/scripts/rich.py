import math, wandb
run = wandb.init(project="tinyllm_hoon", name="rich \"q\" `bt` ünï", notes="first notes", tags=["tag1", "NVIDIA-H100"],
                 config={"learning_rate": 0.02, "architecture": "CNN", "opt": {"name": "adam", "betas": [0.9, 0.999]}, "epochs": 10, "flag": True, "none": None})
run.define_metric("val_loss", summary="min")
run.define_metric("acc", summary="max")
run.define_metric("epoch")
run.define_metric("train/*", step_metric="epoch", summary="mean")
run.define_metric("hidden_one", hidden=True, summary="last")
run.define_metric("none_sum", summary="none")
run.define_metric("best_m", summary="first")
run.define_metric("multi", summary="min,max")
for i in range(3):
    run.log({"acc": 0.5 + i / 10, "val_loss": 1.0 / (i + 1), "epoch": i, "train/loss": 2.0 - i, "hidden_one": i, "none_sum": i, "best_m": i, "multi": i})
run.log({"nested": {"a": 1, "b": {"c": 2.5}}, "nan": float("nan"), "inf": float("inf"), "ninf": float("-inf"),
         "int": 7, "big": 2**62, "bool_t": True, "bool_f": False, "str": "hello \"world\"", "none": None, "list": [1, 2, 3],
         "key with \"quote\" `bt` ü": 1.5, "dot.ted": 3.0})
run.log({"explicit": 1.0}, step=10)
run.log({"partial_a": 1.0}, commit=False)
run.log({"partial_b": 2.0})
try:
    import numpy as np
    run.log({"hist": wandb.Histogram(np.arange(100)), "hist_seq": wandb.Histogram([1, 2, 2, 3, 3, 3])})
    run.log({"image": wandb.Image(np.zeros((8, 8, 3), dtype=np.uint8), caption="zeros")})
except Exception as e:
    print("numpy media skipped:", e)
try:
    run.log({"table": wandb.Table(columns=["a", "b"], data=[[1, "x"], [2, "y"]])})
except Exception as e:
    print("table skipped:", e)
run.alert(title="Loss \"diverged\"", text="val_loss went up ü", level=wandb.AlertLevel.WARN)
run.alert(title="plain", text="info text")
run.tags = run.tags + ("added",)
run.notes = "second notes"
run.name = "renamed"
run.config.update({"late_key": 42, "batch": {"size": 32}})
run.config["another"] = "v"
run.summary["final_acc"] = 0.99
run.summary["nested_sum"] = {"x": 1}
run.summary.update({"s_nan": float("nan")})
wandb.finish()
