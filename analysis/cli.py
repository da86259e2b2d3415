"""The ``report`` command.

Each sub-command is a thin wrapper: the work lives in the module it imports.
Data problems end with a readable list and a non-zero exit code, never a traceback.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from analysis.paths import EXAMPLE_DATA

app = typer.Typer(
    help="Build the report on the under-use of London's children's homes by London's children.",
    no_args_is_help=True,
    add_completion=False,
)
example_app = typer.Typer(help="The bundled synthetic example dataset.", no_args_is_help=True)
public_app = typer.Typer(
    help="Official public data (Ofsted register, DfE tables).", no_args_is_help=True
)
app.add_typer(example_app, name="example")
app.add_typer(public_app, name="public-data")


@app.command()
def validate(
    data_dir: Annotated[Path, typer.Argument(help="Dataset directory.")] = EXAMPLE_DATA,
    year: Annotated[
        int | None, typer.Option(help="Snapshot year to check (default: latest).")
    ] = None,
    problems_csv: Annotated[
        Path | None, typer.Option(help="Where to write the problems CSV.")
    ] = None,
) -> None:
    """Check a dataset directory against the data contract and list every problem."""
    from analysis.contract.validate import validate_command

    raise typer.Exit(validate_command(data_dir, year=year, problems_csv=problems_csv))


@app.command()
def build(
    data: Annotated[Path, typer.Option(help="Dataset directory.")] = EXAMPLE_DATA,
    year: Annotated[
        int | None, typer.Option(help="Report year (default: latest in the data).")
    ] = None,
    borough: Annotated[
        str | None, typer.Option(help="Build one borough's edition (name, DfE or ONS code).")
    ] = None,
    all_boroughs: Annotated[
        bool,
        typer.Option("--all-boroughs", help="Build the pan-London and all 33 borough editions."),
    ] = False,
    engine: Annotated[
        str, typer.Option(help="auto | quarto | pandoc (auto prefers Quarto when installed).")
    ] = "auto",
    jobs: Annotated[
        int | None, typer.Option(help="Worker processes (default: number of cores).")
    ] = None,
    output: Annotated[Path | None, typer.Option(help="Output root (default: ./outputs).")] = None,
    public_data: Annotated[
        Path | None, typer.Option(help="Folder of the official public data files.")
    ] = None,
) -> None:
    """Build the report: validate, run the notebooks, assemble HTML and PDF."""
    from analysis.build import build_command

    raise typer.Exit(
        build_command(
            data_dir=data,
            year=year,
            borough=borough,
            all_boroughs=all_boroughs,
            engine=engine,
            jobs=jobs,
            output_root=output,
            public_data=public_data,
        )
    )


@app.command("import")
def import_returns(
    source: Annotated[Path, typer.Argument(help="Folder of one borough's yearly returns.")],
    out: Annotated[Path, typer.Option(help="Dataset folder to write.")],
    la: Annotated[
        str | None, typer.Option(help="The borough (default: from the CHILD ids' suffix).")
    ] = None,
    ofsted: Annotated[
        Path | None, typer.Option(help="Ofsted's children's homes file to copy in.")
    ] = None,
) -> None:
    """Turn one borough's own SSDA903 returns (DfE column names, a folder or file name per
    year) into a dataset folder, then validate it."""
    from analysis.contract.raw_import import import_command

    raise typer.Exit(import_command(source, out, la=la, ofsted=ofsted))


@example_app.command("generate")
def example_generate(
    out: Annotated[Path, typer.Option(help="Where to write the dataset.")] = EXAMPLE_DATA,
    config: Annotated[Path | None, typer.Option(help="Generator configuration YAML.")] = None,
) -> None:
    """Regenerate the synthetic example dataset from its seeded configuration."""
    from analysis.example.generate import generate_command

    raise typer.Exit(generate_command(out=out, config=config))


@public_app.command("fetch")
def public_fetch(
    dest: Annotated[Path, typer.Option(help="Folder to download into.")] = Path("public-data"),
    year: Annotated[
        int | None,
        typer.Option(
            help="Snapshot year (31 March YEAR). Default: the latest year of --data, "
            "else the latest published."
        ),
    ] = None,
    data: Annotated[
        Path | None,
        typer.Option(help="Dataset directory whose latest year is the default --year."),
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option(help="Public-data configuration (default: config/public_data.yaml)."),
    ] = None,
) -> None:
    """Get Ofsted's children's homes files and the DfE looked-after tables for a year.

    Found through the GOV.UK Content API and the explore-education-statistics API; each file
    is checked and recorded in public_data_manifest.json. Files already current are not
    downloaded again.
    """
    from analysis.public_data.fetch import fetch_command

    if year is None and data is not None:
        from analysis.build.validation import dataset_latest_year

        year = dataset_latest_year(data)
        if year is None:
            raise typer.Exit(2)
    raise typer.Exit(fetch_command(dest, year=year, config=config))


if __name__ == "__main__":  # pragma: no cover
    app()
