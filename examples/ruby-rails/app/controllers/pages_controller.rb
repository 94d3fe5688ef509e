require "nokogiri"

class PagesController < ApplicationController
  def home
    # Nokogiri's compiled extension (Debian's, linked to the system libxml2) loads at launch.
    @parsed = Nokogiri::HTML("<p>parsed by nokogiri</p>").at("p").text
  end
end
