"""Dynamic task mapping with TaskFlow: expand over a literal list and over an upstream XCom,
partial + expand, expand_kwargs, a cross product of two arguments, and reducing the results."""

import pendulum
from airflow.sdk import dag, task
from corpus_lib.record import record


@dag(schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), catchup=False)
def corpus_mapping_taskflow():
    @task
    def make_numbers():
        return [1, 2, 3]

    @task
    def add(x, y, ti=None):
        record("add", map_index=ti.map_index, x=x, y=y)
        return x + y

    @task
    def total(values):
        values = list(values)
        record("total", values=values, total=sum(values))
        return sum(values)

    @task
    def multiply(a, b):
        return a * b

    @task
    def products(values):
        record("products", values=list(values))

    @task
    def describe(name, size):
        return f"{name}:{size}"

    @task
    def descriptions(values):
        record("descriptions", values=list(values))

    @task
    def make_kwargs():
        return [{"name": "x", "size": 3}, {"name": "y", "size": 4}]

    @task
    def shout(word):
        return word.upper()

    @task
    def keep(values):
        return values  # the lazy sequence of mapped results, stored as a list

    @task
    def show_kept(values):
        record("kept", values=values, type=type(values).__name__)

    added = add.partial(y=10).expand(x=make_numbers())
    total(added)
    show_kept(keep(added))
    products(multiply.expand(a=[1, 2], b=[10, 20, 30]))
    descriptions(describe.expand_kwargs([{"name": "a", "size": 1}, {"name": "b", "size": 2}]))
    descriptions.override(task_id="descriptions_from_xcom")(
        describe.override(task_id="describe_from_xcom").expand_kwargs(make_kwargs())
    )

    @task
    def make_words():
        return ["  hello ", " world"]

    @task
    def exclaim(word):
        return f"{word}!"

    @task
    def sentence(words):
        record("sentence", words=list(words))

    # .map() cleans each element lazily; mapping over a mapped task's output maps again.
    shouted = shout.expand(word=make_words().map(lambda word: word.strip()))
    sentence(exclaim.expand(word=shouted))


corpus_mapping_taskflow()
