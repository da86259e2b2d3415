-- tables.lua: in HTML, each table sits in a box of its own that scrolls sideways when the table
-- is wider than the screen, so a wide table never makes the whole page scroll (WCAG 2.2 1.4.10).
-- The box can take keyboard focus (a scrolling region must) and is named by the table's caption.
-- Both engines run it: plain pandoc (render_pandoc) and Quarto (`filters:` in the front matter).
if not FORMAT:match("html") then
  return {}
end

local count = 0

function Table(tbl)
  count = count + 1
  local name = pandoc.utils.stringify(tbl.caption.long)
  if name == "" then
    name = "Table " .. count
  end
  -- the attributes as a list of pairs: a Lua table's keys have no fixed order, and the same
  -- report must be written byte for byte the same
  local attributes = { { "tabindex", "0" }, { "role", "region" }, { "aria-label", name } }
  return pandoc.Div({ tbl }, pandoc.Attr("", { "table-wrap" }, attributes))
end
