-- portable.lua: the Quarto features the report uses, for plain pandoc (HTML and Typst).
-- Figures: `![Caption](path){#fig-x fig-alt="..."}` get numbers ("Figure N: ...") and the fig-alt
-- text as their alt text (HTML `alt`, Typst `image(alt:)`); `::: {.figure-data}` is small print;
-- `@fig-x` / `@sec-x` become links "Figure N" / section titles; callouts become styled blocks;
-- `{{< pagebreak >}}` becomes a page break in Typst and nothing in HTML.
local fig_numbers, sec_titles = {}, {}
local is_typst = FORMAT:match("typst") ~= nil

local function collect(doc)
  local n = 0
  doc:walk({
    Figure = function(fig)
      if fig.identifier ~= "" then n = n + 1; fig_numbers[fig.identifier] = n end
    end,
    Header = function(h)
      if h.identifier ~= "" then sec_titles[h.identifier] = pandoc.utils.stringify(h.content) end
    end,
  })
end

local function figure(fig)
  local img
  fig.content:walk({ Image = function(i) img = i end })
  if img == nil then return nil end
  -- Quarto's `fig-alt` is the image's alt text (the chart's message); the caption is its title.
  local alt = img.attributes["fig-alt"] or pandoc.utils.stringify(fig.caption)
  local caption = pandoc.utils.stringify(fig.caption)
  if is_typst then
    local label = fig.identifier ~= "" and (" <" .. fig.identifier .. ">") or ""
    local width = img.attributes["width"] or "100%"
    local esc = function(s) return s:gsub("\\", "\\\\"):gsub('"', '\\"') end
    return pandoc.RawBlock("typst", string.format(
      '#figure(image("%s", width: %s, alt: "%s"), caption: [%s])%s',
      esc(img.src), width, esc(alt), caption:gsub("([%[%]#%*_<>@$\\])", "\\%1"), label))
  end
  -- HTML: the writer puts the image's inline description in `alt`, so make it the fig-alt
  -- text, and drop the attribute (it would otherwise be written as `data-fig-alt`).
  fig.content = fig.content:walk({ Image = function(i)
    i.attributes["fig-alt"] = nil
    i.caption = pandoc.Inlines(alt)
    return i
  end })
  local num = fig_numbers[fig.identifier]
  if num then
    fig.caption = pandoc.Caption({ pandoc.Plain({ pandoc.Strong({ pandoc.Str("Figure " .. num .. ":") }), pandoc.Space(), table.unpack(pandoc.utils.blocks_to_inlines(fig.caption.long)) }) })
  end
  return fig
end

local function cite(c)
  local key = c.citations[1].id
  if key:match("^fig%-") and fig_numbers[key] then
    if is_typst then return pandoc.RawInline("typst", "@" .. key) end
    return pandoc.Link("Figure " .. fig_numbers[key], "#" .. key)
  elseif key:match("^sec%-") and sec_titles[key] then
    return pandoc.Link(sec_titles[key], "#" .. key)
  end
end

local callout_colours = { note = "#1d70b8", tip = "#00703c", warning = "#f47738", important = "#d4351c", caution = "#f47738" }

local function div(d)
  -- The line after a figure that links to the data behind it: small print in the PDF.
  if d.classes:includes("figure-data") and is_typst then
    local out = { pandoc.RawBlock("typst", '#block(above: 4pt, below: 14pt)[#set text(size: 8.5pt, fill: rgb("#505a5f"))') }
    for _, b in ipairs(d.content) do table.insert(out, b) end
    table.insert(out, pandoc.RawBlock("typst", "]"))
    return out
  end
  for _, cls in ipairs(d.classes) do
    local kind = cls:match("^callout%-(%a+)$")
    if kind then
      local title = d.attributes["title"] or (kind:sub(1, 1):upper() .. kind:sub(2))
      if is_typst then
        local out = { pandoc.RawBlock("typst", string.format(
          '#block(width: 100%%, inset: 8pt, stroke: (left: 3pt + rgb("%s")), fill: rgb("#f3f2f1"))[*%s*\n', callout_colours[kind] or "#1d70b8", title)) }
        for _, b in ipairs(d.content) do table.insert(out, b) end
        table.insert(out, pandoc.RawBlock("typst", "]"))
        return out
      end
      local content = { pandoc.Div({ pandoc.Plain({ pandoc.Strong({ pandoc.Str(title) }) }) }, { class = "callout-title" }) }
      for _, b in ipairs(d.content) do table.insert(content, b) end
      return pandoc.Div(content, { class = "callout callout-" .. kind, role = "note" })
    end
  end
end

local function para(p)
  local text = pandoc.utils.stringify(p)
  if text:match("^{{<%s*pagebreak%s*>}}$") then
    if is_typst then return pandoc.RawBlock("typst", "#pagebreak()") end
    return {}
  end
end

function Pandoc(doc)
  collect(doc)
  doc = doc:walk({ Figure = figure })
  doc = doc:walk({ Cite = cite, Div = div, Para = para })
  return doc
end
