from deepspeed.comm.comm import *
