from core.route_templates import RouteTemplate


def test_literal_route_matches_case_insensitively():
    assert RouteTemplate("v1/workspaces").match("V1/Workspaces") == {}


def test_parameters_are_extracted_and_unquoted():
    assert RouteTemplate("v1/workspaces/{workspace_id}").match("v1/workspaces/a%20b") == {"workspace_id": "a b"}


def test_segment_count_must_match():
    template = RouteTemplate("v1/workspaces/{id}")
    assert template.match("v1/workspaces") is None
    assert template.match("v1/workspaces/1/extra") is None
    assert template.match("v1/workspaces/") is None


def test_catch_all_takes_the_rest():
    assert RouteTemplate("{*path}").match("a/b/c") == {"path": "a/b/c"}
    assert RouteTemplate("files/{*rest}").match("files/x/y") == {"rest": "x/y"}


def test_constraints_and_optional_parameters():
    assert RouteTemplate("items/{id:int}").match("items/7") == {"id": "7"}
    assert RouteTemplate("items/{id?}").match("items") == {}


def test_literal_beats_parameter_beats_catch_all():
    templates = [RouteTemplate(t) for t in ["{*path}", "v1/{name}", "v1/workspaces"]]
    ordered = sorted(templates, key=lambda t: t.precedence)
    assert [t.template for t in ordered] == ["v1/workspaces", "v1/{name}", "{*path}"]
