B
avg_pool1dJk¼Ä¾•´=H¿½½+e™>úÂ$>