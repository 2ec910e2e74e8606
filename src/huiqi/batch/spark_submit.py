"""`huiqi` under spark-submit, which runs a Python file (YARN, Kubernetes, standalone; client mode):

    spark-submit --master yarn --deploy-mode client \\
        "$(python -c 'import huiqi.batch.spark_submit as m; print(m.__file__)')" \\
        batch facts.parquet --out results.parquet --engine spark

The Spark engine then takes spark-submit's session (its master and configuration); see
docs/batch.md "Engines".
"""

from __future__ import annotations

if __name__ == "__main__":
    from huiqi.entrypoints.cli import main

    main()
