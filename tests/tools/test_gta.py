"""GTA adapters: the 14 official names and argument schemas, mapped onto our tools and run for real."""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Sequence
from pathlib import Path

import pytest
from langchain_core.messages import BaseMessage
from PIL import Image

from tests.tools.drawing import draw_text_image
from toolagent.models.scripted import ScriptedChatModel
from toolagent.tools.base import ToolContext, run_tool, tool_schema
from toolagent.tools.config import ToolConfig
from toolagent.tools.gta import gta_toolmeta, make_gta_tools
from toolagent.tools.registry import availability, gta_tools

OFFICIAL = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "gta_toolmeta.json"
JSON_TYPES = {"text": "string", "image": "string", "int": "integer", "bool": "boolean"}


def _tools(**config: object) -> dict[str, object]:
    return {tool.name: tool for tool in make_gta_tools(ToolConfig(search="none", **config))}


def test_packaged_toolmeta_equals_the_official_file() -> None:
    if not OFFICIAL.is_file():
        pytest.skip("official GTA toolmeta not present next to the repository")
    assert gta_toolmeta() == json.loads(OFFICIAL.read_text(encoding="utf-8"))


def test_names_and_argument_schemas_are_official() -> None:
    tools = make_gta_tools(ToolConfig(search="none"))
    meta = gta_toolmeta()
    assert [t.name for t in tools] == list(meta) and len(tools) == 14
    for tool in tools:
        official = meta[tool.name]
        assert tool.gta_name == tool.name
        schema = tool_schema(tool)
        assert list(schema["properties"]) == [i["name"] for i in official["inputs"]]
        assert sorted(schema.get("required", [])) == sorted(i["name"] for i in official["inputs"] if not i["optional"])
        for item in official["inputs"]:
            prop = schema["properties"][item["name"]]
            types = {p.get("type") for p in prop.get("anyOf", [prop])} - {"null"}
            assert types == {JSON_TYPES[item["type"]]}, (tool.name, item["name"])
            if item["optional"]:
                assert prop.get("default") == item["default"]
        assert tool.description.startswith(official["description"])
    assert "plain OCR" in next(t for t in tools if t.name == "MathOCR").description


def test_registry_entry_point_builds_them() -> None:
    assert [t.name for t in gta_tools(ToolConfig(search="none"))] == list(gta_toolmeta())


def test_availability_is_the_targets() -> None:
    off = _tools(enable_python=False)
    assert not availability(off["Plot"]).available and "enable-python" in availability(off["Solver"]).reason
    assert availability(off["Calculator"]).available
    assert "diffusion" in availability(off["TextToImage"]).reason
    assert "diffusion" in availability(off["ImageStylization"]).reason
    assert not availability(off["GoogleSearch"]).available
    assert availability(_tools(enable_python=True)["Plot"]).available


def test_calculator_through_the_adapter() -> None:
    calc = _tools()["Calculator"]
    assert run_tool(calc, {"expression": "math.sqrt(16) + 2 * 3"}, ToolContext()).text == "= 10"
    assert run_tool(calc, {"expression": 12}, ToolContext()).text == "= 12"  # a number given for text
    bad = run_tool(calc, {"expr": "1"}, ToolContext())
    assert not bad.ok and "expression: Field required" in bad.error


def test_solver_code_through_the_python_tool() -> None:
    solver = _tools(enable_python=True)["Solver"]
    command = ("```python\nfrom sympy import symbols, Eq, solve\ndef solution():\n    x = symbols('x')\n"
               "    return str(solve(Eq(2*x + 3, 11), x))\n```")
    obs = run_tool(solver, {"command": command}, ToolContext())
    assert obs.ok and obs.text == "[4]"


def test_plot_returns_an_image(tmp_path: Path) -> None:
    plot = _tools(enable_python=True)["Plot"]
    command = ("```python\nimport matplotlib.pyplot as plt\ndef solution():\n    figure = plt.figure()\n"
               "    plt.bar(['a', 'b'], [3, 5])\n    return figure\n```")
    obs = run_tool(plot, {"command": command}, ToolContext(workspace=tmp_path))
    assert obs.ok and len(obs.images) == 1 and Image.open(obs.images[0]).format == "PNG"


def test_ocr_and_mathocr_through_the_adapter(tmp_path: Path) -> None:
    path = draw_text_image(["INVOICE 2024", "TOTAL 13.50"], font_size=36).save(tmp_path / "receipt.png")
    tools = _tools()
    ctx = ToolContext(images=[str(path)])
    for name in ("OCR", "MathOCR"):
        obs = run_tool(tools[name], {"image": "receipt.png"}, ctx)
        assert obs.ok, obs.error
        assert "INVOICE 2024" in obs.text and "TOTAL 13.50" in obs.text
        assert obs.text.lstrip().startswith("(")  # GTA style: "(x1, y1, x2, y2) text"


def test_drawbox_accepts_gta_bbox_text_and_lists(tmp_path: Path) -> None:
    source = tmp_path / "white.png"
    Image.new("RGB", (120, 90), "white").save(source)
    draw = _tools()["DrawBox"]
    ctx = ToolContext(workspace=tmp_path / "ws", images=[str(source)])
    for bbox in ("(10, 20, 60, 70)", [10, 20, 60, 70]):
        obs = run_tool(draw, {"image": "image_1", "bbox": bbox, "annotation": "cat"}, ctx)
        assert obs.ok, obs.error
        with Image.open(obs.images[0]) as img:
            assert img.convert("RGB").getpixel((10, 45)) != (255, 255, 255)  # left edge of the box drawn
            assert img.convert("RGB").getpixel((100, 85)) == (255, 255, 255)  # outside untouched
    text = run_tool(_tools()["AddText"], {"image": str(source), "text": "hi", "position": "mt"}, ctx)
    assert text.ok and text.images


def _vlm(answer_for: dict[str, str], seen: list[tuple[str, tuple[int, int]]]) -> ScriptedChatModel:
    def policy(messages: Sequence[BaseMessage]) -> str:
        blocks = messages[-1].content
        question = next(b["text"] for b in blocks if b.get("type") == "text")
        url = next(b["image_url"]["url"] for b in blocks if b.get("type") == "image_url")
        size = Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))).size
        seen.append((question, size))
        return next(reply for key, reply in answer_for.items() if key in question)

    return ScriptedChatModel(policy=policy)


def test_perception_tools_through_image_qa(tmp_path: Path) -> None:
    source = tmp_path / "scene.png"
    Image.new("RGB", (200, 100), "green").save(source)
    seen: list[tuple[str, tuple[int, int]]] = []
    model = _vlm({"How many": "I can see three apples.", "Locate": "The dog is at [20, 10, 80, 60] and (100, 5, 150, 50).",
                  "colour": "bright green", "Describe this image": "A green field."}, seen)
    tools = _tools(vlm_model=model)
    ctx = ToolContext(images=[str(source)])

    count = run_tool(tools["CountGivenObject"], {"image": "image_1", "text": "apples"}, ctx)
    assert count.ok and count.text == "3" and count.data == 3

    box = run_tool(tools["TextToBbox"], {"image": "image_1", "text": "dog"}, ctx)
    assert box.ok and box.text == "dog (20, 10, 80, 60)"
    assert "200x100" in seen[-1][0]
    both = run_tool(tools["TextToBbox"], {"image": "image_1", "text": "dog", "top1": False}, ctx)
    assert both.text == "dog (20, 10, 80, 60)\ndog (100, 5, 150, 50)"

    region = run_tool(tools["RegionAttributeDescription"],
                      {"image": "image_1", "bbox": "(10, 10, 60, 40)", "attribute": "colour"}, ctx)
    assert region.ok and region.text == "bright green"
    assert seen[-1][1] == (50, 30)  # the model saw the cropped region

    description = run_tool(tools["ImageDescription"], {"image": "image_1"}, ctx)
    assert description.ok and description.text == "A green field." and seen[-1][1] == (200, 100)


def test_google_search_maps_query_and_k(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "eiffel.txt").write_text("The Eiffel Tower is 330 metres tall and stands in Paris.")
    (corpus / "nile.txt").write_text("The Nile is a long river in Africa.")
    search = {t.name: t for t in make_gta_tools(ToolConfig(search="local", corpus=corpus))}["GoogleSearch"]
    obs = run_tool(search, {"query": "Eiffel Tower height", "k": 1}, ToolContext())
    assert obs.ok, obs.error
    assert "330 metres" in obs.text and "Nile" not in obs.text


def test_generation_tools_refuse_cleanly() -> None:
    tools = _tools()
    obs = run_tool(tools["TextToImage"], {"keywords": "cat, watercolor"}, ToolContext())
    assert not obs.ok and "no diffusion weights installed" in obs.error
    missing = run_tool(tools["ImageStylization"], {"image": "x.png"}, ToolContext())
    assert not missing.ok and "instruction" in missing.error
