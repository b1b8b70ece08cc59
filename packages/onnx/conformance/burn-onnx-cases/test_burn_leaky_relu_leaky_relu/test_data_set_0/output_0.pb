B
leaky_reluJå™¼7C¼E‚©»	Î?)\Ÿ?˜nš?