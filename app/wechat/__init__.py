"""WeChat, reached only through wechatpy (client.py); services.py maps its answers to ours."""
