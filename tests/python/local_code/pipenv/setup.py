from setuptools import setup, find_packages
setup(name="shop", version="0.1", packages=find_packages(), install_requires=["flask==3.0.3"])
