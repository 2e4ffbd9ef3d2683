"""The shared kit of the suite: what at least two services need, one small module per job.

The kit never imports a service package nor the ``suite`` composition root.
"""
