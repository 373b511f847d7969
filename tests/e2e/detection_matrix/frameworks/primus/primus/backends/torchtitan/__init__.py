from torchtitan.train import main
def run(exp_name):
    main("/tmp/primus-titan")
