"""huiqi (惠企): industrial-subsidy policy as versioned, explainable rules."""

__version__ = "0.1.0"
