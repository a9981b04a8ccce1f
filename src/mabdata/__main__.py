from mabdata.cli import run

run()
